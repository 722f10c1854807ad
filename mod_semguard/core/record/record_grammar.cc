#include "record/record_grammar.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

namespace semguard::state_format {

namespace {

bool is_plain_byte(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return c != '\0' && std::strchr("._~/:@+,=-", c) != nullptr;
}

}  // namespace

std::string percent_encode(std::string_view s) {
    if (s.empty()) return "-";
    if (s == "-") return "%2D";
    std::string out;
    out.reserve(s.size());
    append_percent_encoded(out, s, is_plain_byte);
    return out;
}

bool percent_decode(std::string_view field, std::string& out) {
    if (field == "-") {
        out.clear();
        return true;
    }
    return semguard::percent_decode(field, is_plain_byte, out);
}

// A piece of the file that is safe to put in a log line: percent-encoded (no
// control bytes, no newlines) and short.
std::string quoted(std::string_view s) {
    constexpr size_t kShown = 40;
    std::string out = "'" + percent_encode(s.substr(0, kShown));
    if (s.size() > kShown) out += "...";
    return out + "'";
}

Problem read_pid(std::string_view field, const char* name, pid_t& out) {
    return read_number<pid_t>(field, name, 1, kMaxPid, out);
}

Problem read_time(std::string_view field, const char* name, int64_t& out) {
    return read_number<int64_t>(field, name, 0, kMaxTime, out);
}

Problem read_string(std::string_view field, const char* name, std::string& out) {
    if (!percent_decode(field, out))
        return std::string(name) +
               " is not percent-encoded (bytes outside A-Za-z0-9._~/:@+,=- "
               "must be written as %XX)";
    return std::nullopt;
}

// "0x0001e240", as ipcs prints keys.
Problem read_key(std::string_view field, int32_t& out) {
    const Problem bad = std::string("key is not a hex number like 0x0001e240");
    if (field.size() < 3 || field.size() > 10 || field[0] != '0' || field[1] != 'x') return bad;
    uint32_t value = 0;
    for (char c : field.substr(2)) {
        const int digit = hex_digit_value(c);
        if (digit < 0) return bad;
        value = value * 16 + static_cast<uint32_t>(digit);
    }
    out = static_cast<int32_t>(value);
    return std::nullopt;
}

Problem read_mode(std::string_view field, unsigned& out) {
    if (field.empty() || field.find_first_not_of("01234567") != std::string_view::npos)
        return std::string("mode is not an octal number");
    const size_t first_nonzero = std::min(field.find_first_not_of('0'), field.size());
    const std::string_view significant = field.substr(first_nonzero);
    // three octal digits are at most 0777: no setuid/sticky bits, no overflow
    if (significant.size() > 3) return std::string("mode is out of range (at most 0777)");
    unsigned value = 0;
    for (char c : significant) value = value * 8 + static_cast<unsigned>(c - '0');
    out = value;
    return std::nullopt;
}

Problem read_yes_no(std::string_view field, const char* name, bool& out) {
    if (field == "yes") {
        out = true;
    } else if (field == "no") {
        out = false;
    } else {
        return std::string(name) + " must be yes or no";
    }
    return std::nullopt;
}

Problem read_phase(std::string_view field, RunPhase& out) {
    for (RunPhase p : {RunPhase::Starting, RunPhase::Running, RunPhase::Stopped}) {
        if (field == to_string(p)) {
            out = p;
            return std::nullopt;
        }
    }
    return "unknown phase " + quoted(field);
}

// "0x0001e240", as ipcs prints keys.
std::string key_text(int32_t key) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08" PRIx32, static_cast<uint32_t>(key));
    return buf;
}

Problem split_fields(std::string_view line, Fields& out) {
    out.count = 0;
    size_t start = 0;
    while (true) {
        const size_t space = line.find(' ', start);
        const std::string_view field = line.substr(start, space - start);
        if (field.empty())
            return std::string("empty field (fields are separated by exactly one space)");
        if (out.count == Fields::kMax) return std::string("too many fields");
        out.at[out.count++] = field;
        if (space == std::string_view::npos) return std::nullopt;
        start = space + 1;
    }
}

}  // namespace semguard::state_format
