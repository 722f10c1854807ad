#include "config/directive_values.h"

#include <strings.h>

#include <cstring>

namespace semguard {

bool parse_reclaim_mode(const char* arg, ReclaimMode& out, std::string& error) {
    if (arg && strcasecmp(arg, "on") == 0) {
        out = ReclaimMode::On;
        return true;
    }
    if (arg && strcasecmp(arg, "off") == 0) {
        out = ReclaimMode::Off;
        return true;
    }
    if (arg && strcasecmp(arg, "dryrun") == 0) {
        out = ReclaimMode::DryRun;
        return true;
    }
    error = "must be On, Off or DryRun, not '" + std::string(arg ? arg : "") + "'";
    return false;
}

bool parse_on_off(const char* arg, bool& out, std::string& error) {
    if (arg && (strcasecmp(arg, "on") == 0 || strcasecmp(arg, "off") == 0)) {
        out = strcasecmp(arg, "on") == 0;
        return true;
    }
    error = "must be On or Off, not '" + std::string(arg ? arg : "") + "'";
    return false;
}

bool parse_percent(const char* arg, int& out, std::string& error) {
    const std::string text = arg ? arg : "";
    error = "must be a whole number of percent from 1 to 100, not '" + text + "'";
    if (text.empty() || text.size() > 3) return false;
    int value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return false;
        value = value * 10 + (c - '0');
    }
    if (value < 1 || value > 100) return false;
    out = value;
    error.clear();
    return true;
}

bool valid_state_file_value(const char* arg, std::string& error) {
    const size_t len = arg ? std::strlen(arg) : 0;
    if (len == 0) {
        error = "needs a file path";
        return false;
    }
    if (len > 4096) {
        error = "path is longer than 4096 bytes";
        return false;
    }
    if (std::strchr(arg, '\n') || std::strchr(arg, '\r')) {
        error = "path must not contain a line break";
        return false;
    }
    if (arg[len - 1] == '/') {
        error = "must name a file, not a directory ('" + std::string(arg) + "')";
        return false;
    }
    return true;
}

}  // namespace semguard
