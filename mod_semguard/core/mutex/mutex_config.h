// The effective mechanism of every mutex type, from httpd's own view of its
// configuration (the text ap_dump_mutexes() writes, as `-D DUMP_RUN_CFG` shows),
// with 'default' resolved to APR's real default, which httpd never prints.
#pragma once

#include <string>
#include <vector>

namespace semguard {

struct MutexConfig {
    std::string type;        // "mpm-accept", "ssl-cache", ..., and "default" itself
    std::string configured;  // "using_defaults", "none", or the mechanism as configured
    std::string mechanism;  // effective: "sysvsem", "pthread", "fcntl", "flock", "posixsem", "none"
    std::string dir;        // for file-based mechanisms
    bool sysv() const { return mechanism == "sysvsem"; }
};

struct MutexConfigResult {
    std::vector<MutexConfig> mutexes;  // sorted by type, "default" included
    std::vector<std::string> errors;   // lines that could not be understood
};

// apr_default is apr_proc_mutex_defname() ("sysvsem", "pthread", ...).
MutexConfigResult parse_mutex_dump(const std::string& dump, const std::string& apr_default);

}  // namespace semguard
