// httpd 2.2's lock directives, which 2.4 removed in favour of one `Mutex`
// directive ("Invalid command" since): AcceptMutex, LockFile, SSLMutex,
// SSLStaplingMutex (2.3), RewriteLock, WatchdogMutexPath (2.3). Advice written
// for 2.2 (the seed's `SSLMutex sem`) still circulates; with mod_semguard loaded
// such a line is translated into the 2.4 Mutex line, which the glue applies
// through httpd's own Mutex handling, with a warning naming the replacement.
#pragma once

#include <string>
#include <vector>

namespace semguard {

struct LegacyTranslation {
    bool ok = false;
    std::string mutex_args;  // what follows "Mutex ": "sysvsem ssl-cache"
    std::string note;        // how a 2.2 value was read, "" when literal
    std::string error;       // the value is not understood
    std::string line() const { return "Mutex " + mutex_args; }
};

// The legacy directive names, as the command table registers them.
const std::vector<std::string>& legacy_lock_directives();

// `directive` is one of legacy_lock_directives(), `arg` its whole argument.
LegacyTranslation translate_legacy_lock(const std::string& directive, const std::string& arg);

}  // namespace semguard
