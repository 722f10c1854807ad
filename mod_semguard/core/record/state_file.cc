#include "record/state_file.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <new>
#include <string_view>

#include "record/record_codec.h"
#include "text/codec.h"

namespace semguard {

namespace {

// Closes on every path out of a function; close errors matter only after a
// write, where write_state_file closes explicitly.
class UniqueFd {
public:
    explicit UniqueFd(int fd) : fd_(fd) {}
    UniqueFd(const UniqueFd&) = delete;
    UniqueFd& operator=(const UniqueFd&) = delete;
    ~UniqueFd() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }
    int release() {
        const int fd = fd_;
        fd_ = -1;
        return fd;
    }

private:
    int fd_;
};

// errno must be read before building the message allocates anything.
SysError error_with(int code, std::string call) { return SysError{code, std::move(call)}; }

std::string dir_to_open(const PathParts& parts) {
    return parts.dir_prefix.empty() ? "." : parts.dir_prefix;
}

std::string temp_prefix(const PathParts& parts) { return parts.base + ".tmp."; }

std::string mode_text(mode_t mode) { return octal_mode(static_cast<unsigned>(mode & 07777)); }

StateFileResult missing() {
    StateFileResult r;
    r.outcome = StateFileOutcome::Missing;
    return r;
}

StateFileResult rejected(std::string reason) {
    StateFileResult r;
    r.outcome = StateFileOutcome::Rejected;
    r.reason = std::move(reason);
    return r;
}

StateFileResult io_error(SysError error) {
    StateFileResult r;
    r.outcome = StateFileOutcome::IoError;
    r.error = std::move(error);
    return r;
}

// What about the opened file makes it untrustworthy, or "" when nothing does.
std::string distrust_reason(const struct stat& st, uid_t required_owner, size_t max_bytes) {
    if (!S_ISREG(st.st_mode)) return "not a regular file";
    if (st.st_uid != required_owner) {
        const std::string wanted =
            required_owner == 0 ? "root" : "uid " + std::to_string(required_owner);
        return "owned by uid " + std::to_string(st.st_uid) + ", not " + wanted;
    }
    if ((st.st_mode & (S_IWGRP | S_IWOTH)) != 0)
        return "writable by group or others (mode " + mode_text(st.st_mode) + ")";
    // Another name for the same inode could be in a directory someone else controls.
    if (st.st_nlink != 1) return "has " + std::to_string(st.st_nlink) + " hard links";
    if (st.st_size < 0 || static_cast<unsigned long long>(st.st_size) > max_bytes)
        return "is " + std::to_string(st.st_size) + " bytes, more than " +
               std::to_string(max_bytes);
    return "";
}

enum class ReadOutcome { Complete, TooBig, Failed };

// Reads to end of file, but never more than max_bytes: the file may grow
// between fstat and read.
ReadOutcome read_bounded(int fd, const std::string& path, size_t max_bytes, std::string& text,
                         SysError& error) {
    constexpr size_t kChunk = 64 * 1024;
    text.clear();
    while (true) {
        const size_t room = max_bytes - text.size();
        // One byte more than allowed, so a file that grew is noticed.
        const size_t want = room < kChunk ? room + 1 : kChunk;
        const size_t old_size = text.size();
        text.resize(old_size + want);
        const ssize_t n = ::read(fd, &text[old_size], want);
        if (n < 0) {
            const int code = errno;
            text.resize(old_size);
            if (code == EINTR) continue;
            error = error_with(code, "read(" + path + ")");
            return ReadOutcome::Failed;
        }
        text.resize(old_size + static_cast<size_t>(n));
        if (n == 0) return ReadOutcome::Complete;
        if (text.size() > max_bytes) return ReadOutcome::TooBig;
    }
}

StateFileResult read_checked(const std::string& path, uid_t required_owner, size_t max_bytes) {
    // O_NONBLOCK: a fifo planted at the path must not hang httpd's start in open().
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NOCTTY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) {
        const int code = errno;
        if (code == ENOENT) return missing();
        if (code == ELOOP) return rejected("is a symbolic link");
        if (code == ENXIO)
            return rejected("not a regular file");  // a socket, or a device without driver
        return io_error(error_with(code, "open(" + path + ")"));
    }
    struct stat st {};
    if (::fstat(fd.get(), &st) != 0) {
        const int code = errno;
        return io_error(error_with(code, "fstat(" + path + ")"));
    }
    if (std::string reason = distrust_reason(st, required_owner, max_bytes); !reason.empty())
        return rejected(std::move(reason));

    std::string text;
    SysError error;
    switch (read_bounded(fd.get(), path, max_bytes, text, error)) {
        case ReadOutcome::Failed: return io_error(std::move(error));
        case ReadOutcome::TooBig:
            return rejected("grew to more than " + std::to_string(max_bytes) +
                            " bytes while being read");
        case ReadOutcome::Complete: break;
    }
    DecodeResult decoded = decode_record(text);
    if (!decoded) return rejected(decoded.error().describe());
    StateFileResult r;
    r.outcome = StateFileOutcome::Ok;
    r.record = std::move(decoded.value());
    return r;
}

SysStatus write_all(int fd, std::string_view bytes, const std::string& what) {
    while (!bytes.empty()) {
        const ssize_t n = ::write(fd, bytes.data(), bytes.size());
        if (n < 0) {
            const int code = errno;
            if (code == EINTR) continue;
            return error_with(code, "write(" + what + ")");
        }
        // A regular file only writes nothing when it cannot: do not spin.
        if (n == 0) return error_with(EIO, "write(" + what + ") made no progress");
        bytes.remove_prefix(static_cast<size_t>(n));
    }
    return {};
}

// A name no other writer in this process or any other process uses; after a
// crash the same pid may come back, so an existing name is skipped, not reused.
SysResult<int> create_temp(const PathParts& parts, std::string& temp_path) {
    static std::atomic<unsigned> counter{0};
    constexpr int kAttempts = 100;
    for (int attempt = 0; attempt < kAttempts; ++attempt) {
        temp_path = parts.dir_prefix + temp_prefix(parts) + std::to_string(::getpid()) + "." +
                    std::to_string(counter++);
        const int fd =
            ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) return fd;
        const int code = errno;
        if (code != EEXIST) return error_with(code, "open(" + temp_path + ", O_CREAT|O_EXCL)");
    }
    return error_with(EEXIST, "open(" + temp_path + ", O_CREAT|O_EXCL): " +
                                  std::to_string(kAttempts) + " names taken");
}

// Makes the rename itself durable: without it a crash can bring the old name back.
SysStatus fsync_directory(const std::string& dir) {
    UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (fd.get() < 0) {
        const int code = errno;
        return error_with(code, "open(" + dir + ")");
    }
    if (::fsync(fd.get()) != 0) {
        const int code = errno;
        return error_with(code, "fsync(" + dir + ")");
    }
    return {};
}

// Everything up to and including the rename; the temp file is gone after a
// success and left for the caller to unlink after a failure.
SysStatus write_and_rename(int raw_fd, const std::string& temp_path, const std::string& path,
                           std::string_view text, Durability durability) {
    UniqueFd fd(raw_fd);
    // Exactly 0600 whatever httpd's umask: the reader refuses group/other write.
    if (::fchmod(fd.get(), 0600) != 0) {
        const int code = errno;
        return error_with(code, "fchmod(" + temp_path + ")");
    }
    if (SysStatus s = write_all(fd.get(), text, temp_path); !s) return s;
    if (durability == Durability::Durable && ::fsync(fd.get()) != 0) {
        const int code = errno;
        return error_with(code, "fsync(" + temp_path + ")");
    }
    // A failed close can mean lost data (NFS); never retried, the fd is gone either way.
    if (::close(fd.release()) != 0) {
        const int code = errno;
        return error_with(code, "close(" + temp_path + ")");
    }
    if (::rename(temp_path.c_str(), path.c_str()) != 0) {
        const int code = errno;
        return error_with(code, "rename(" + temp_path + ", " + path + ")");
    }
    return {};
}

// Unlinks the temp file on every way out, exceptions included, until the
// rename has consumed it.
class TempFileGuard {
public:
    explicit TempFileGuard(const std::string& path) : path_(path) {}
    TempFileGuard(const TempFileGuard&) = delete;
    TempFileGuard& operator=(const TempFileGuard&) = delete;
    ~TempFileGuard() {
        if (armed_) ::unlink(path_.c_str());
    }
    void renamed() { armed_ = false; }

private:
    const std::string& path_;
    bool armed_ = true;
};

SysStatus write_checked(const std::string& path, const Record& record, Durability durability) {
    const std::string text = encode_record(record);
    if (text.empty()) return error_with(ENOMEM, "encode_record");
    const PathParts parts = split_path(path);
    if (parts.base.empty()) return error_with(EISDIR, "write_state_file(" + path + ")");

    std::string temp_path;
    SysResult<int> fd = create_temp(parts, temp_path);
    if (!fd) return fd.error();
    TempFileGuard guard(temp_path);
    if (SysStatus s = write_and_rename(*fd, temp_path, path, text, durability); !s) return s;
    guard.renamed();
    if (durability == Durability::Atomic) return {};
    // A failure here leaves the new file in place, but a power loss could still
    // bring the old one back; the caller hears about it.
    return fsync_directory(dir_to_open(parts));
}

// Our own temp name: prefix, then "<digits>.<digits>" and nothing else.
bool is_our_temp_name(std::string_view name, std::string_view prefix) {
    if (name.substr(0, prefix.size()) != prefix) return false;
    const std::string_view rest = name.substr(prefix.size());
    const size_t dot = rest.find('.');
    if (dot == std::string_view::npos) return false;
    const std::string_view pid = rest.substr(0, dot);
    const std::string_view counter = rest.substr(dot + 1);
    const auto digits_only = [](std::string_view s) {
        return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
    };
    return digits_only(pid) && digits_only(counter);
}

void remove_stale_checked(const std::string& path) {
    const PathParts parts = split_path(path);
    if (parts.base.empty()) return;
    const std::string prefix = temp_prefix(parts);
    // Everything relative to one directory fd, so a renamed directory cannot
    // redirect the unlinks.
    const int dir_fd = ::open(dir_to_open(parts).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) return;
    DIR* dir = ::fdopendir(dir_fd);
    if (dir == nullptr) {
        ::close(dir_fd);
        return;
    }
    const uid_t euid = ::geteuid();
    // Nothing in this loop allocates, so nothing can throw past closedir.
    while (const struct dirent* entry = ::readdir(dir)) {
        const std::string_view name = entry->d_name;
        if (!is_our_temp_name(name, prefix)) continue;
        struct stat st {};
        if (::fstatat(dir_fd, entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0) continue;
        if (!S_ISREG(st.st_mode) || st.st_uid != euid) continue;
        ::unlinkat(dir_fd, entry->d_name, 0);
    }
    ::closedir(dir);  // closes dir_fd too
}

}  // namespace

StateFileResult read_state_file(const std::string& path, uid_t required_owner, size_t max_bytes) {
    try {
        return read_checked(path, required_owner, max_bytes);
    } catch (const std::bad_alloc&) {
        return io_error(SysError{ENOMEM, "read_state_file"});
    }
}

SysStatus write_state_file(const std::string& path, const Record& record, Durability durability) {
    try {
        return write_checked(path, record, durability);
    } catch (const std::bad_alloc&) {
        return SysError{ENOMEM, "write_state_file"};
    }
}

void remove_stale_temp_files(const std::string& path) {
    try {
        remove_stale_checked(path);
    } catch (const std::bad_alloc&) {
        // best effort by contract: a leftover stays until the next start
    }
}

std::string default_state_path(const std::string& runtime_dir, const InstanceIdentity& instance) {
    return runtime_dir + "/semguard." + instance.digest() + ".state";
}

}  // namespace semguard
