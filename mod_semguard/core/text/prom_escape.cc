#include "text/prom_escape.h"

#include "text/utf8_sanitize.h"

namespace semguard {

namespace {
std::string escape(std::string_view text, bool escape_quote) {
    std::string out;
    out.reserve(text.size());
    for (std::size_t pos = 0; pos < text.size();) {
        const Utf8Step step = next_utf8(text, pos);
        if (!step.valid) {
            append_replacement_char(out);
        } else if (step.code_point == '\\') {
            out += "\\\\";
        } else if (step.code_point == '\n') {
            out += "\\n";
        } else if (step.code_point == '"' && escape_quote) {
            out += "\\\"";
        } else {
            out.append(text.substr(pos, step.length));
        }
        pos += step.length;
    }
    return out;
}
}  // namespace

std::string prom_label_value(std::string_view text) { return escape(text, true); }

std::string prom_help_text(std::string_view text) { return escape(text, false); }

}  // namespace semguard
