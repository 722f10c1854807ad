#include "text/html_escape.h"

#include "text/utf8_sanitize.h"

namespace semguard {

namespace {
bool is_html_control(char32_t cp) {
    if (cp == '\t' || cp == '\n' || cp == '\r') return false;
    return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F);
}
}  // namespace

void append_html_escaped(std::string& out, std::string_view text) {
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Step step = next_utf8(text, pos);
        if (!step.valid || is_html_control(step.code_point)) {
            append_replacement_char(out);
        } else {
            switch (step.code_point) {
                case '&': out += "&amp;"; break;
                case '<': out += "&lt;"; break;
                case '>': out += "&gt;"; break;
                case '"': out += "&quot;"; break;
                case '\'': out += "&#39;"; break;
                default: out.append(text.substr(pos, step.length));
            }
        }
        pos += step.length;
    }
}

std::string html_escape(std::string_view text) {
    std::string out;
    out.reserve(text.size() + text.size() / 8);
    append_html_escaped(out, text);
    return out;
}

}  // namespace semguard
