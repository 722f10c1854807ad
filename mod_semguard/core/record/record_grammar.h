// The state file's line grammar, under the format that record_format.cc
// defines: a line's fields split at single spaces, each kind of value read
// strictly (a Problem says what is wrong) and written one way, and the
// percent-encoding of strings. Internal to record/: only the codec and the
// format table include it.
#pragma once

#include <sys/types.h>

#include <array>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

#include "record/record.h"
#include "text/codec.h"

namespace semguard::state_format {

// Each reader returns what is wrong with the field, or nullopt when it is fine.
using Problem = std::optional<std::string>;

// ---- strings ---------------------------------------------------------------

// Every byte outside [A-Za-z0-9._~/:@+,=-] as %XX; "" is "-", "-" is "%2D".
std::string percent_encode(std::string_view s);
bool percent_decode(std::string_view field, std::string& out);

// A piece of the file that is safe to put in a log line: percent-encoded (no
// control bytes, no newlines) and short.
std::string quoted(std::string_view s);

// ---- values ----------------------------------------------------------------

// A decimal integer as encode_record writes it: optional '-', digits, no '+',
// no leading zeros (no "010" that a reader could take for octal), within [lo, hi].
template <class T>
Problem read_number(std::string_view field, const char* name, T lo, T hi, T& out) {
    const bool negative = !field.empty() && field[0] == '-';
    const std::string_view digits = negative ? field.substr(1) : field;
    const bool all_digits =
        !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    if (!all_digits || (digits.size() > 1 && digits[0] == '0') || (negative && digits == "0"))
        return std::string(name) + " is not a number";

    const auto out_of_range = [&] {
        // only digits by now, so safe to show; a 4000-digit number is not shown
        const std::string shown = field.size() <= 24 ? std::string(field) + " " : "";
        return std::string(name) + " " + shown + "is out of range " + std::to_string(lo) + ".." +
               std::to_string(hi);
    };
    if (negative && std::is_unsigned_v<T>) return out_of_range();

    T value{};
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec == std::errc::result_out_of_range) return out_of_range();
    if (ec != std::errc() || end != field.data() + field.size())
        return std::string(name) + " is not a number";
    if (value < lo || value > hi) return out_of_range();
    out = value;
    return std::nullopt;
}

inline constexpr pid_t kMaxPid = std::numeric_limits<pid_t>::max();
inline constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();

Problem read_pid(std::string_view field, const char* name, pid_t& out);
Problem read_time(std::string_view field, const char* name, int64_t& out);
Problem read_string(std::string_view field, const char* name, std::string& out);
// "0x0001e240", as ipcs prints keys.
Problem read_key(std::string_view field, int32_t& out);
Problem read_mode(std::string_view field, unsigned& out);
Problem read_yes_no(std::string_view field, const char* name, bool& out);
Problem read_phase(std::string_view field, RunPhase& out);

// "0x0001e240", as ipcs prints keys.
std::string key_text(int32_t key);

// ---- lines -----------------------------------------------------------------

// The fields of one line, split at single spaces, without allocating.
struct Fields {
    static constexpr size_t kMax = 16;  // a set line has 15 or 16
    std::array<std::string_view, kMax> at;
    size_t count = 0;
};

Problem split_fields(std::string_view line, Fields& out);

// ---- one field, either way -------------------------------------------------
//
// The format's table codes each field once, as a generic lambda that calls the
// same method on a FieldReader (decoding) or a FieldWriter (encoding).

template <class T>
using Same = typename std::common_type<T>::type;  // not deduced: T comes from the field

class FieldReader {
public:
    FieldReader(std::string_view value, const char* name) : value_(value), name_(name) {}
    Problem problem;

    template <class T>
    void number(T& v, Same<T> lo, Same<T> hi) {
        problem = read_number<T>(value_, name_, lo, hi, v);
    }
    void pid(pid_t& v) { problem = read_pid(value_, name_, v); }
    void time(int64_t& v) { problem = read_time(value_, name_, v); }
    void text(std::string& v) { problem = read_string(value_, name_, v); }
    void key(int32_t& v) { problem = read_key(value_, v); }
    void mode(unsigned& v) { problem = read_mode(value_, v); }
    void yes_no(bool& v) { problem = read_yes_no(value_, name_, v); }
    void phase(RunPhase& v) { problem = read_phase(value_, v); }

private:
    std::string_view value_;
    const char* name_;
};

class FieldWriter {
public:
    explicit FieldWriter(std::string& out) : out_(out) {}

    template <class T>
    void number(const T& v, Same<T>, Same<T>) {
        out_ += std::to_string(v);
    }
    void pid(const pid_t& v) { out_ += std::to_string(v); }
    void time(const int64_t& v) { out_ += std::to_string(v); }
    void text(const std::string& v) { out_ += percent_encode(v); }
    void key(const int32_t& v) { out_ += key_text(v); }
    void mode(const unsigned& v) { out_ += octal_mode(v); }
    void yes_no(const bool& v) { out_ += v ? "yes" : "no"; }
    void phase(const RunPhase& v) { out_ += to_string(v); }

private:
    std::string& out_;
};

}  // namespace semguard::state_format
