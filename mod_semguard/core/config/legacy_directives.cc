#include "config/legacy_directives.h"

#include <cctype>

namespace semguard {

namespace {

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    std::string t = s.substr(b, e - b);
    if (t.size() >= 2 && t.front() == '"' && t.back() == '"') t = t.substr(1, t.size() - 2);
    return t;
}

bool plain(const std::string& s) {
    if (s.empty() || s.size() > 1024) return false;
    for (unsigned char c : s)
        if (c < 0x21 || c == 0x7f || c == '"') return false;
    return true;
}

// "/var/lock/apache/ssl.lock" -> "/var/lock/apache": 2.2 named a lock file,
// 2.4's Mutex takes the directory its files go in.
std::string dir_of(const std::string& path) {
    const size_t slash = path.rfind('/');
    if (slash == std::string::npos) return "";
    return slash == 0 ? "/" : path.substr(0, slash);
}

// A 2.2 mechanism value ("sem", "fcntl:/path/file", "default", ...) as 2.4's.
bool mechanism_of(const std::string& value, bool ssl_sem_is_sysv, std::string& out,
                  std::string& note, std::string& error) {
    const size_t colon = value.find(':');
    const std::string meth = lower(value.substr(0, colon));
    const std::string file = colon == std::string::npos ? "" : value.substr(colon + 1);
    static const char* const kKnown[] = {"default", "yes",     "none", "no",
                                         "flock",   "fcntl",   "file", "posixsem",
                                         "sysvsem", "pthread", "sem"};
    bool known = false;
    for (const char* k : kKnown) known = known || meth == k;
    if (!known) {
        error = "unknown mechanism \"" + value.substr(0, 40) + "\"";
        return false;
    }
    std::string mech = meth;
    if (meth == "yes") mech = "default";
    if (meth == "no") mech = "none";
    if (meth == "file") mech = "fcntl";
    if (meth == "sem" && ssl_sem_is_sysv) {
        // 2.2's SSLMutex documentation: "sem" is a SysV IPC semaphore on Unix;
        // 2.4's Mutex reads "sem" as posixsem where APR has it.
        mech = "sysvsem";
        note = "2.2's \"sem\" is a SysV semaphore";
    }
    if (!file.empty() && (mech == "flock" || mech == "fcntl" || mech == "default")) {
        const std::string dir = dir_of(file);
        if (!dir.empty()) {
            mech += ":" + dir;
            note += std::string(note.empty() ? "" : "; ") + "2.4 takes the lock file's directory";
        }
    }
    out = mech;
    return true;
}

}  // namespace

const std::vector<std::string>& legacy_lock_directives() {
    static const std::vector<std::string> kNames = {"AcceptMutex", "LockFile",
                                                    "SSLMutex",    "SSLStaplingMutex",
                                                    "RewriteLock", "WatchdogMutexPath"};
    return kNames;
}

LegacyTranslation translate_legacy_lock(const std::string& directive, const std::string& raw) {
    LegacyTranslation t;
    const std::string arg = trim(raw);
    if (!plain(arg)) {
        t.error = directive + " takes one word, got \"" + arg.substr(0, 40) + "\"";
        return t;
    }
    std::string mech;
    if (directive == "AcceptMutex" || directive == "SSLMutex" || directive == "SSLStaplingMutex") {
        const char* type = directive == "AcceptMutex" ? "mpm-accept"
                           : directive == "SSLMutex"  ? "ssl-cache"
                                                      : "ssl-stapling";
        if (!mechanism_of(arg, directive == "SSLMutex", mech, t.note, t.error)) {
            t.error = directive + ": " + t.error;
            return t;
        }
        t.mutex_args = mech + " " + type;
    } else {
        // A lock file (LockFile, RewriteLock) or directory (WatchdogMutexPath):
        // the mechanism stays the default, the files go to that directory.
        const char* type = directive == "LockFile"      ? "mpm-accept"
                           : directive == "RewriteLock" ? "rewrite-map"
                                                        : "watchdog-callback";
        const std::string dir = directive == "WatchdogMutexPath" ? arg : dir_of(arg);
        if (dir.empty()) {
            t.error = directive +
                      ": needs an absolute or ServerRoot-relative path with a "
                      "directory, got \"" +
                      arg.substr(0, 40) + "\"";
            return t;
        }
        t.mutex_args = "default:" + dir + " " + type;
        if (directive != "WatchdogMutexPath") t.note = "2.4 takes the lock file's directory";
    }
    t.ok = true;
    return t;
}

}  // namespace semguard
