// A small streaming JSON writer: it places commas, colons and indentation, so the
// renderer reads as the document it produces. Strings go through append_json_string.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace semguard {

class JsonWriter {
public:
    explicit JsonWriter(std::string& out) : out_(out) {}

    JsonWriter& begin_object();
    JsonWriter& end_object();
    JsonWriter& begin_array();
    JsonWriter& end_array();
    // Inside an object: the name of the next value.
    JsonWriter& key(std::string_view name);

    JsonWriter& string(std::string_view text);
    JsonWriter& integer(int64_t value);
    JsonWriter& unsigned_integer(uint64_t value);
    JsonWriter& boolean(bool value);
    JsonWriter& null();
    // A number with two decimals, e.g. a percentage; null if not finite.
    JsonWriter& decimal(double value);

private:
    void before_value();
    void newline();

    std::string& out_;
    std::vector<bool> has_members_;  // one entry per open object or array
    bool after_key_ = false;
};

}  // namespace semguard
