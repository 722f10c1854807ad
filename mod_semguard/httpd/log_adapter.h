// semguard::Logger on top of ap_log_error: "SGnnnn: text", at the mapped level.
#pragma once

#include "httpd.h"
#include "log/logger.h"

namespace semguard {
namespace glue {

class HttpdLogger : public Logger {
public:
    explicit HttpdLogger(server_rec* s) : server_(s) {}
    void log(Level level, const char* tag, const std::string& text) override;

private:
    server_rec* server_;
};

}  // namespace glue
}  // namespace semguard
