#include "text/utf8_sanitize.h"

namespace semguard {

namespace {
bool is_continuation(unsigned char c) { return (c & 0xC0) == 0x80; }
}  // namespace

Utf8Step next_utf8(std::string_view text, std::size_t pos) noexcept {
    Utf8Step step;
    if (pos >= text.size()) return step;
    const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(text[pos + i]); };
    const unsigned char lead = byte(0);

    if (lead < 0x80) {
        step.code_point = lead;
        step.valid = true;
        return step;
    }

    std::size_t length;
    char32_t cp;
    char32_t min_cp;
    if ((lead & 0xE0) == 0xC0) {
        length = 2, cp = lead & 0x1F, min_cp = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
        length = 3, cp = lead & 0x0F, min_cp = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
        length = 4, cp = lead & 0x07, min_cp = 0x10000;
    } else {
        return step;  // a continuation byte without a lead, or 0xF8..0xFF
    }
    if (text.size() - pos < length) return step;
    for (std::size_t i = 1; i < length; ++i) {
        if (!is_continuation(byte(i))) return step;
        cp = (cp << 6) | (byte(i) & 0x3F);
    }
    // Overlong forms would let "<" hide as C0 BC; surrogates are not characters.
    if (cp < min_cp || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return step;

    step.code_point = cp;
    step.length = length;
    step.valid = true;
    return step;
}

void append_replacement_char(std::string& out) { out += "\xEF\xBF\xBD"; }

std::string sanitize_utf8(std::string_view text) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Step step = next_utf8(text, pos);
        if (step.valid)
            out.append(text.substr(pos, step.length));
        else
            append_replacement_char(out);
        pos += step.length;
    }
    return out;
}

}  // namespace semguard
