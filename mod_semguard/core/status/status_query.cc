#include "status/status_query.h"

#include <cstring>

namespace semguard {

namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The output is never longer than the input, which the caller has bounded.
std::string percent_decode(std::string_view in) {
    std::string out;
    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ++i) {
        const char c = in[i];
        if (c == '+') {
            out += ' ';
        } else if (c == '%' && i + 2 < in.size() && hex_value(in[i + 1]) >= 0 &&
                   hex_value(in[i + 2]) >= 0) {
            out += static_cast<char>(hex_value(in[i + 1]) * 16 + hex_value(in[i + 2]));
            i += 2;
        } else {
            out += c;
        }
    }
    return out;
}

enum class RefreshParse { Ok, NotANumber };

// A decimal integer with an optional sign, clamped to the refresh range. Digits
// stop accumulating once the value is past the maximum, so no run of digits can
// overflow.
RefreshParse parse_refresh_seconds(const std::string& text, int& seconds) {
    std::size_t i = 0;
    bool negative = false;
    if (i < text.size() && (text[i] == '+' || text[i] == '-')) negative = text[i++] == '-';
    if (i == text.size()) return RefreshParse::NotANumber;
    long long magnitude = 0;
    for (; i < text.size(); ++i) {
        const char c = text[i];
        if (c < '0' || c > '9') return RefreshParse::NotANumber;
        if (magnitude <= kMaxRefreshSeconds) magnitude = magnitude * 10 + (c - '0');
    }
    if (negative || magnitude < kMinRefreshSeconds)
        seconds = kMinRefreshSeconds;
    else if (magnitude > kMaxRefreshSeconds)
        seconds = kMaxRefreshSeconds;
    else
        seconds = static_cast<int>(magnitude);
    return RefreshParse::Ok;
}

bool format_for_key(const std::string& key, StatusFormat& format) {
    if (key == "auto")
        format = StatusFormat::Auto;
    else if (key == "json")
        format = StatusFormat::Json;
    else if (key == "metrics")
        format = StatusFormat::Metrics;
    else
        return false;
    return true;
}

StatusQuery failure(const char* why) {
    StatusQuery q;
    q.ok = false;
    q.error = why;
    return q;
}

StatusQuery parse(std::string_view raw) {
    StatusQuery query;
    if (raw.size() > kMaxStatusQueryLength) return failure("query string too long");

    bool format_chosen = false;
    std::size_t start = 0;
    while (start <= raw.size()) {
        std::size_t end = raw.find_first_of("&;", start);
        if (end == std::string_view::npos) end = raw.size();
        const std::string_view param = raw.substr(start, end - start);
        start = end + 1;
        if (param.empty()) continue;

        const std::size_t eq = param.find('=');
        const bool has_value = eq != std::string_view::npos;
        const std::string key = percent_decode(param.substr(0, eq));

        StatusFormat format;
        if (format_for_key(key, format)) {
            if (format_chosen && format != query.format)
                return failure("conflicting output formats requested");
            query.format = format;
            format_chosen = true;
        } else if (key == "refresh") {
            const std::string value = has_value ? percent_decode(param.substr(eq + 1)) : "";
            if (value.empty()) {
                query.refresh = kDefaultRefreshSeconds;
            } else if (parse_refresh_seconds(value, query.refresh) != RefreshParse::Ok) {
                return failure("refresh value is not a number");
            }
        }
        // "notable" and unknown keys: ignored, as mod_status ignores them.
    }
    return query;
}

}  // namespace

StatusQuery parse_status_query(std::string_view raw) noexcept {
    try {
        return parse(raw);
    } catch (...) {
        // Only allocation can throw here; refuse the request rather than crash.
        // error stays empty: filling it in could throw again.
        StatusQuery q;
        q.ok = false;
        return q;
    }
}

StatusQuery parse_status_query(const char* raw) noexcept {
    if (raw == nullptr) return StatusQuery{};
    return parse_status_query(std::string_view(raw, strnlen(raw, kMaxStatusQueryLength + 1)));
}

const char* to_string(StatusFormat format) {
    switch (format) {
        case StatusFormat::Html: return "html";
        case StatusFormat::Auto: return "auto";
        case StatusFormat::Json: return "json";
        case StatusFormat::Metrics: return "metrics";
    }
    return "html";
}

}  // namespace semguard
