#include "log/deferred_log.h"

namespace semguard {

void DeferringLogger::log(Level level, const char* tag, const std::string& text) {
    if (level <= Level::Crit) {
        now_.log(level, tag, text);
        return;
    }
    later_.push_back({level, tag, text});
}

void flush_deferred(std::vector<DeferredEntry>& entries, Logger& to) {
    for (const auto& e : entries) to.log(e.level, e.tag.c_str(), e.text);
    entries.clear();
}

}  // namespace semguard
