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
