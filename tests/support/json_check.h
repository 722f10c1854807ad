// JSON in the tests is read with a real parser (nlohmann/json, RFC 8259: no
// trailing commas, no raw control characters or ill-formed UTF-8 in strings, no
// unpaired surrogate escapes, no leading zeros). On top of the parser, an
// object that repeats a member name is refused: legal but ambiguous, and a bug
// in our schema.
#pragma once

#include <nlohmann/json.hpp>

#include <string>
#include <string_view>

namespace semguard::test {

// "" if `text` is exactly one valid JSON value (surrounded by optional whitespace),
// else what is wrong.
std::string json_error(std::string_view text);

// The parsed document; a test that checks json_error first may read it freely.
// Invalid text gives a discarded value (is_discarded()).
nlohmann::json parse_json(std::string_view text);

}  // namespace semguard::test
