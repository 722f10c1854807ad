// The engine logs through this; the httpd glue maps it onto ap_log_error.
#pragma once

#include <string>

namespace semguard {

enum class Level { Emerg, Alert, Crit, Error, Warn, Notice, Info, Debug };

class Logger {
public:
    virtual ~Logger() = default;
    // tag is a stable SGnnnn identifier (see messages.h); required at notice and above.
    virtual void log(Level level, const char* tag, const std::string& text) = 0;
};

}  // namespace semguard
