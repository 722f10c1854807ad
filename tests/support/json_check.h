// A strict JSON checker for the tests (RFC 8259): the status renderer's output
// must be accepted by any parser, so this accepts nothing a strict one rejects —
// no trailing commas, no raw control characters or ill-formed UTF-8 in strings,
// no unpaired surrogate escapes, no leading zeros — and also rejects an object
// that repeats a member name (legal but ambiguous; a bug in our schema).
#pragma once

#include <string>
#include <string_view>

namespace semguard::test {

// "" if `text` is exactly one valid JSON value (surrounded by optional whitespace),
// else what is wrong and at which byte offset.
std::string json_error(std::string_view text);

}  // namespace semguard::test
