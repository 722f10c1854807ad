// Parsing and validation of directive values, kept out of the glue so that every
// accepted and rejected value is unit-tested. Errors name the allowed values;
// the glue prefixes the directive's name.
#pragma once

#include <string>

#include "run/reclaim.h"

namespace semguard {

// "On", "Off", "DryRun", case-insensitive.
bool parse_reclaim_mode(const char* arg, ReclaimMode& out, std::string& error);

// "On" or "Off", case-insensitive. (httpd's own FLAG directives ignore extra
// words; these are parsed as one argument so that "On On" is an error.)
bool parse_on_off(const char* arg, bool& out, std::string& error);

// An integer percentage 1..100, nothing else (no sign, no suffix, no spaces).
bool parse_percent(const char* arg, int& out, std::string& error);

// A non-empty path without NUL or newline, at most 4096 bytes.
bool valid_state_file_value(const char* arg, std::string& error);

}  // namespace semguard
