#include "log/deferred_log.h"

namespace semguard {

void DeferringLogger::log(Level level, const char* tag, const std::string& text) {
    if (level <= Level::Crit) {
        now_.log(level, tag, text);
        if (echo_urgent_) later_.push_back({level, tag, text, true});
        return;
    }
    later_.push_back({level, tag, text, false});
}

void flush_deferred(std::vector<DeferredEntry>& entries, Logger& to, bool log_open) {
    for (const auto& e : entries)
        if (log_open || !e.already_shown) to.log(e.level, e.tag.c_str(), e.text);
    entries.clear();
}

}  // namespace semguard
