#include "log_adapter.h"

#include "http_log.h"
#include "mod_semguard.h"

APLOG_USE_MODULE(semguard);

namespace semguard {
namespace glue {

namespace {
int to_aplog(Level level) {
    switch (level) {
        case Level::Emerg: return APLOG_EMERG;
        case Level::Alert: return APLOG_ALERT;
        case Level::Crit: return APLOG_CRIT;
        case Level::Error: return APLOG_ERR;
        case Level::Warn: return APLOG_WARNING;
        case Level::Notice: return APLOG_NOTICE;
        case Level::Info: return APLOG_INFO;
        case Level::Debug: return APLOG_DEBUG;
    }
    return APLOG_NOTICE;
}
}  // namespace

void HttpdLogger::log(Level level, const char* tag, const std::string& text) {
    if (tag && *tag)
        ap_log_error(APLOG_MARK, to_aplog(level), 0, server_, "%s: %s", tag, text.c_str());
    else  // below notice a line needs no tag
        ap_log_error(APLOG_MARK, to_aplog(level), 0, server_, "%s", text.c_str());
}

}  // namespace glue
}  // namespace semguard
