#include "diagnosis/system_files.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace semguard {

namespace {
constexpr size_t kMaxBytes = 256 * 1024;  // a configuration file, not a data file
}

TextFile RealSystemFiles::read(const std::string& path) {
    TextFile f;
    f.path = path;
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        const int e = errno;
        f.exists = e != ENOENT && e != ENOTDIR;
        if (f.exists)
            f.error = std::string(std::strerror(e)) + " (errno " + std::to_string(e) + ")";
        return f;
    }
    f.exists = true;
    struct stat st;
    if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        f.error = "not a regular file";
        ::close(fd);
        return f;
    }
    char buf[8192];
    for (;;) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            const int e = errno;
            f.error = std::string(std::strerror(e)) + " (errno " + std::to_string(e) + ")";
            f.content.clear();
            ::close(fd);
            return f;
        }
        if (n == 0) break;
        f.content.append(buf, static_cast<size_t>(n));
        if (f.content.size() > kMaxBytes) {
            f.content.resize(kMaxBytes);
            break;
        }
    }
    ::close(fd);
    f.readable = true;
    return f;
}

std::vector<std::string> RealSystemFiles::list(const std::string& dir, const std::string& suffix) {
    std::vector<std::string> out;
    DIR* d = ::opendir(dir.c_str());
    if (!d) return out;
    while (struct dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name.empty() || name[0] == '.') continue;
        if (name.size() < suffix.size() ||
            name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
            continue;
        out.push_back(name);
        if (out.size() >= 1000) break;
    }
    ::closedir(d);
    return out;
}

}  // namespace semguard
