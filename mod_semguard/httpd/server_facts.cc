#include "server_facts.h"

#include <sys/mman.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "apr_file_io.h"
#include "apr_portable.h"
#include "apr_proc_mutex.h"
#include "apr_strings.h"
#include "http_config.h"
#include "http_main.h"
#include "mpm_common.h"
#include "unixd.h"
#include "util_mutex.h"

namespace semguard {
namespace glue {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string first_word(const char* args) {
    std::string a = args ? args : "";
    const auto start = a.find_first_not_of(" \t\"");
    if (start == std::string::npos) return "";
    const auto end = a.find_first_of(" \t\"", start);
    return a.substr(start, end == std::string::npos ? std::string::npos : end - start);
}

std::string nth_word(const char* args, int n) {
    std::string a = args ? args : "";
    size_t pos = 0;
    for (int i = 0;; ++i) {
        pos = a.find_first_not_of(" \t", pos);
        if (pos == std::string::npos) return "";
        const auto end = a.find_first_of(" \t", pos);
        if (i == n) return a.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
        if (end == std::string::npos) return "";
        pos = end;
    }
}

// "shmcb:/path(512000)" -> "shmcb"
std::string provider_of(const char* args) {
    std::string w = lower(first_word(args));
    const auto colon = w.find(':');
    return colon == std::string::npos ? w : w.substr(0, colon);
}

void walk(const ap_directive_t* node, ConfigFacts& f) {
    for (; node; node = node->next) {
        const std::string d = lower(node->directive ? node->directive : "");
        // Sections whose condition was false were never built into the tree.
        if (d == "listen") {
            ++f.listeners;
        } else if (d == "listencoresbucketsratio") {
            const long ratio = std::strtol(first_word(node->args).c_str(), nullptr, 10);
            const long cpus = sysconf(_SC_NPROCESSORS_ONLN);
            if (ratio > 0 && cpus >= ratio) f.accept_buckets = static_cast<int>(cpus / ratio);
        } else if (d == "sslsessioncache") {
            f.ssl_session_cache = provider_of(node->args);
        } else if (d == "sslstaplingcache") {
            f.ssl_stapling_cache = provider_of(node->args);
        } else if (d == "sslusestapling") {
            if (lower(first_word(node->args)) == "on") f.ssl_stapling = true;
        } else if (d == "rewritemap") {
            const std::string type = lower(nth_word(node->args, 1));
            if (type.compare(0, 3, "prg") == 0) f.rewrite_prg_map = true;
        } else if (d == "<proxy") {
            if (lower(first_word(node->args)).compare(0, 11, "balancer://") == 0)
                ++f.proxy_balancers;
        }
        if (node->first_child) walk(node->first_child, f);
    }
}

// The -f argument as given to httpd (ap_mpm_rewrite_args keeps it in argv).
const char* config_file_argument() {
    const process_rec* proc = ap_server_conf ? ap_server_conf->process : nullptr;
    if (!proc) return nullptr;
    for (int i = 1; i + 1 < proc->argc; ++i)
        if (std::strcmp(proc->argv[i], "-f") == 0) return proc->argv[i + 1];
    return nullptr;
}

}  // namespace

InstanceIdentity instance_identity(apr_pool_t* p) {
    InstanceIdentity id;
    id.server_root = ap_server_root ? ap_server_root : "";
    const char* conf = config_file_argument();
    // Without -f httpd reads SERVER_CONFIG_FILE (Debian: "apache2.conf") relative
    // to the server root, exactly like this: /etc/apache2/apache2.conf.
    const char* path = ap_server_root_relative(p, conf ? conf : SERVER_CONFIG_FILE);
    id.config_file = path ? path : (conf ? conf : SERVER_CONFIG_FILE);
    // Where httpd writes it (ap_log_pid): relative to ServerRoot, not to
    // DefaultRuntimeDir ("PidFile run/httpd.pid" is ServerRoot/run/httpd.pid).
    id.pid_file = ap_pid_fname ? ap_server_root_relative(p, ap_pid_fname) : "";
    return id;
}

std::string default_runtime_dir(apr_pool_t* p) {
    std::string dir = ap_runtime_dir_relative(p, "");
    while (dir.size() > 1 && dir.back() == '/') dir.pop_back();
    return dir;
}

MutexConfigResult mutex_configuration(apr_pool_t* p, server_rec* s) {
    MutexConfigResult result;
    // httpd offers no query for the mutex table but this dump, so read it back
    // from an anonymous in-memory file.
    const int fd = memfd_create("semguard-mutexes", MFD_CLOEXEC);
    if (fd < 0) {
        result.errors.push_back(std::string("memfd_create: ") + std::strerror(errno));
        return result;
    }
    apr_file_t* file = nullptr;
    apr_os_file_t os_fd = fd;
    if (apr_os_file_put(&file, &os_fd, APR_FOPEN_READ | APR_FOPEN_WRITE, p) != APR_SUCCESS) {
        close(fd);
        result.errors.push_back("apr_os_file_put failed");
        return result;
    }
    ap_dump_mutexes(p, s, file);
    std::string text;
    char buf[4096];
    lseek(fd, 0, SEEK_SET);
    for (ssize_t n; (n = read(fd, buf, sizeof buf)) > 0 && text.size() < (1 << 20);)
        text.append(buf, static_cast<size_t>(n));
    close(fd);
    return parse_mutex_dump(text, apr_proc_mutex_defname());
}

ConfigFacts config_facts() {
    ConfigFacts f;
    f.mpm = ap_show_mpm();
    walk(ap_conftree, f);
    for (module* m = ap_top_module; m; m = m->next) {
        // httpd names a module by its source file; a module built elsewhere
        // (apxs) carries its build path.
        const char* slash = m->name ? std::strrchr(m->name, '/') : nullptr;
        f.modules.insert(slash ? slash + 1 : (m->name ? m->name : ""));
    }
    return f;
}

std::vector<std::string> alternative_mechanisms() {
    std::vector<std::string> out;
#if APR_HAS_PROC_PTHREAD_SERIALIZE
    out.push_back("pthread");
#endif
#if APR_HAS_FCNTL_SERIALIZE
    out.push_back("fcntl");
#endif
#if APR_HAS_FLOCK_SERIALIZE
    out.push_back("flock");
#endif
    return out;
}

void httpd_user(uid_t& uid, gid_t& gid, bool& known) {
    uid = ap_unixd_config.user_id;
    gid = ap_unixd_config.group_id;
    known = ap_unixd_config.user_name != nullptr;
}

}  // namespace glue
}  // namespace semguard
