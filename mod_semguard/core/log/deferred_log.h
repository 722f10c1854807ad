// Messages of the early startup hooks are held back until httpd has opened its
// error log: before that, a detached parent's stderr leads nowhere. Messages
// about a start that is about to fail (crit and above) go out at once, to the
// same place as httpd's own AH00023 that follows them.
#pragma once

#include <string>
#include <vector>

#include "log/logger.h"

namespace semguard {

struct DeferredEntry {
    Level level;
    std::string tag;
    std::string text;
};

class DeferringLogger : public Logger {
public:
    DeferringLogger(Logger& now, std::vector<DeferredEntry>& later) : now_(now), later_(later) {}
    void log(Level level, const char* tag, const std::string& text) override;

private:
    Logger& now_;
    std::vector<DeferredEntry>& later_;
};

// Logs and clears what was held back.
void flush_deferred(std::vector<DeferredEntry>& entries, Logger& to);

}  // namespace semguard
