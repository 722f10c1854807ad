#include "text/json_escape.h"

#include <cstdio>

#include "text/utf8_sanitize.h"

namespace semguard {

namespace {
void append_u_escape(std::string& out, char32_t cp) {
    char buf[8];
    std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(cp));
    out += buf;
}
}  // namespace

void append_json_string(std::string& out, std::string_view text) {
    out += '"';
    for (std::size_t pos = 0; pos < text.size();) {
        // A run of printable ASCII that needs no escape goes in at once (almost
        // every string of the status page is one): the same bytes as below.
        std::size_t end = pos;
        while (end < text.size()) {
            const unsigned char c = static_cast<unsigned char>(text[end]);
            if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&')
                break;
            ++end;
        }
        if (end > pos) {
            out.append(text.data() + pos, end - pos);
            pos = end;
            continue;
        }
        const Utf8Step step = next_utf8(text, pos);
        if (!step.valid) {
            out += "\\ufffd";
            pos += step.length;
            continue;
        }
        const char32_t cp = step.code_point;
        switch (cp) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            case '\b': out += "\\b"; break;
            case '\f': out += "\\f"; break;
            default:
                if (cp < 0x20 || cp == 0x7F || cp == '<' || cp == '>' || cp == '&' ||
                    cp == 0x2028 || cp == 0x2029)
                    append_u_escape(out, cp);
                else
                    out.append(text.substr(pos, step.length));
        }
        pos += step.length;
    }
    out += '"';
}

}  // namespace semguard
