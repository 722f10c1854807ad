#include "text/json_writer.h"

#include <charconv>
#include <cmath>

#include "text/json_escape.h"
#include "text/decimal.h"

namespace semguard {

void JsonWriter::newline() {
    out_ += '\n';
    out_.append(2 * has_members_.size(), ' ');
}

void JsonWriter::before_value() {
    if (after_key_) {
        after_key_ = false;
        return;
    }
    if (has_members_.empty()) return;
    if (has_members_.back()) out_ += ',';
    has_members_.back() = true;
    newline();
}

JsonWriter& JsonWriter::begin_object() {
    before_value();
    out_ += '{';
    has_members_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::end_object() {
    if (has_members_.empty()) return *this;  // unbalanced: a bug, but never a crash
    const bool had_members = has_members_.back();
    has_members_.pop_back();
    if (had_members) newline();
    out_ += '}';
    if (has_members_.empty()) out_ += '\n';
    return *this;
}

JsonWriter& JsonWriter::begin_array() {
    before_value();
    out_ += '[';
    has_members_.push_back(false);
    return *this;
}

JsonWriter& JsonWriter::end_array() {
    if (has_members_.empty()) return *this;
    const bool had_members = has_members_.back();
    has_members_.pop_back();
    if (had_members) newline();
    out_ += ']';
    return *this;
}

JsonWriter& JsonWriter::key(std::string_view name) {
    before_value();
    append_json_string(out_, name);
    out_ += ": ";
    after_key_ = true;
    return *this;
}

JsonWriter& JsonWriter::string(std::string_view text) {
    before_value();
    append_json_string(out_, text);
    return *this;
}

// Numbers through to_chars: the same digits as std::to_string, without a string each.
JsonWriter& JsonWriter::integer(int64_t value) {
    before_value();
    char buf[24];
    out_.append(buf,
                static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, value).ptr - buf));
    return *this;
}

JsonWriter& JsonWriter::unsigned_integer(uint64_t value) {
    before_value();
    char buf[24];
    out_.append(buf,
                static_cast<std::size_t>(std::to_chars(buf, buf + sizeof buf, value).ptr - buf));
    return *this;
}

JsonWriter& JsonWriter::boolean(bool value) {
    before_value();
    out_ += value ? "true" : "false";
    return *this;
}

JsonWriter& JsonWriter::null() {
    before_value();
    out_ += "null";
    return *this;
}

JsonWriter& JsonWriter::decimal(double value) {
    if (!std::isfinite(value)) return null();  // JSON has no NaN or infinity
    before_value();
    out_ += format_fixed(value, 2);
    return *this;
}

}  // namespace semguard
