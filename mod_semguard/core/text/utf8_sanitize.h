// Every renderer promises valid UTF-8, whatever bytes the model carries (a
// ServerName or a path may be in Latin-1, or hostile). This is the one decoder
// they share, so "valid" means the same thing in HTML, JSON and metrics.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace semguard {

// One step through a byte string: the code point at `pos` and how many bytes it
// took. Ill-formed input (RFC 3629: overlong forms, surrogates, values above
// U+10FFFF, truncated sequences, stray continuation bytes) is one byte long and
// `valid` is false, so callers substitute U+FFFD per bad byte and carry on.
struct Utf8Step {
    char32_t code_point = 0;
    std::size_t length = 1;
    bool valid = false;
};

Utf8Step next_utf8(std::string_view text, std::size_t pos) noexcept;

// Appends U+FFFD (EF BF BD), the replacement character.
void append_replacement_char(std::string& out);

// The text with every ill-formed byte replaced by U+FFFD; valid text is unchanged.
std::string sanitize_utf8(std::string_view text);

}  // namespace semguard
