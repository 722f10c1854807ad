// Messages of the early startup hooks are held back until httpd has opened its
// error log: before that, a detached parent's stderr leads nowhere. Messages
// about a start that is about to fail (crit and above) go out at once, to the
// terminal of `apachectl` where httpd's own early failures (an MPM's AH00023)
// land too. In the first pass of a start, the error log is not open yet at that
// moment, while a module's AH00023 in post_config goes to the error log: so
// those messages are also kept, to be repeated into the error log the moment it
// opens, and dropped if it never does (they were already shown).
#pragma once

#include <string>
#include <vector>

#include "log/logger.h"

namespace semguard {

struct DeferredEntry {
    Level level;
    std::string tag;
    std::string text;
    bool already_shown = false;  // logged at once; repeat only into an opened error log
};

class DeferringLogger : public Logger {
public:
    // `echo_urgent`: the urgent messages logged at once do not reach the error
    // log (it is not open yet), so keep a copy for it.
    DeferringLogger(Logger& now, std::vector<DeferredEntry>& later, bool echo_urgent = false)
        : now_(now), later_(later), echo_urgent_(echo_urgent) {}
    void log(Level level, const char* tag, const std::string& text) override;

private:
    Logger& now_;
    std::vector<DeferredEntry>& later_;
    bool echo_urgent_;
};

// Logs and clears what was held back. `log_open`: `to` reaches the error log
// (after core opened it); otherwise copies of messages already shown are dropped.
void flush_deferred(std::vector<DeferredEntry>& entries, Logger& to, bool log_open = true);

}  // namespace semguard
