// The semguard-status handler's query string, in the conventions of httpd's
// mod_status: /semguard-status?auto, ?refresh=10, and for this module also
// ?json and ?metrics. Parsed from r->args as the client sent it (still
// percent-encoded), which may be absent, garbage, hostile or huge.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace semguard {

enum class StatusFormat { Html, Auto, Json, Metrics };

struct StatusQuery {
    StatusFormat format = StatusFormat::Html;
    int refresh = 0;    // seconds between reloads, 1..3600; 0 = no refresh asked for
    bool ok = true;     // false: answer 400 Bad Request
    std::string error;  // why not ok; never echoes the request (it may be logged or shown)
};

// Longer query strings are refused: no legitimate status request comes close,
// and it bounds the work a request can cause before it is refused.
constexpr std::size_t kMaxStatusQueryLength = 2048;

// What `?refresh` alone means, as in httpd 2.4's mod_status.
constexpr int kDefaultRefreshSeconds = 10;
constexpr int kMinRefreshSeconds = 1;
constexpr int kMaxRefreshSeconds = 3600;

// Parameters are separated by "&" or ";" and percent-decoded ("+" is a space).
//   auto | json | metrics   the output format; any value is ignored; two different
//                           formats in one query are an error
//   refresh                 reload every 10 seconds
//   refresh=N               reload every N seconds, clamped to 1..3600; N must be a
//                           decimal integer (a sign is allowed); if repeated, the last wins
//   notable, anything else  ignored, as mod_status ignores what it does not know
// Malformed %-escapes are kept literally: they can only spoil a key we then do
// not know, or a refresh value that then is not a number.
StatusQuery parse_status_query(std::string_view raw) noexcept;
// r->args as httpd gives it: may be NULL; read no further than the length limit.
StatusQuery parse_status_query(const char* raw) noexcept;

const char* to_string(StatusFormat format);  // "html", "auto", "json", "metrics"

}  // namespace semguard
