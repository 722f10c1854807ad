// The small pieces every section of the HTML page is built from.
#include "status/render_html_parts.h"

#include <algorithm>
#include <string>

#include "status/status_text.h"
#include "text/html_escape.h"

namespace semguard::html {

void esc(std::string& out, std::string_view text) { append_html_escaped(out, text); }

void num(std::string& out, long long value) { out += std::to_string(value); }

void num_cell(std::string& out, long long value) {
    out += "<td class=\"num\">";
    num(out, value);
    out += "</td>";
}

void text_cell(std::string& out, std::string_view text) {
    out += "<td>";
    esc(out, text);
    out += "</td>";
}

// A set's or mutex's type; "" means nobody can tell, which the page says.
void type_cell(std::string& out, const std::string& type, const char* attrs) {
    out += "<td";
    out += attrs;
    out += ">";
    if (type.empty())
        out += "<span class=\"muted\">unknown</span>";
    else
        esc(out, type);
    out += "</td>";
}

void dt(std::string& out, std::string_view term) {
    out += "<dt>";
    out += term;  // always a literal of this file
    out += "</dt>";
}

void dd_text(std::string& out, std::string_view text) {
    out += "<dd>";
    esc(out, text);
    out += "</dd>\n";
}

void kv_text(std::string& out, std::string_view term, std::string_view text) {
    dt(out, term);
    dd_text(out, text);
}

void kv_num(std::string& out, std::string_view term, long long value) {
    dt(out, term);
    out += "<dd>";
    num(out, value);
    out += "</dd>\n";
}

namespace {

const char* severity_for_percent(double percent, int warn_at_percent) {
    if (percent >= 100.0) return "critical";
    if (percent >= warn_at_percent) return "warn";
    return "ok";
}

}  // namespace

void usage_bar(std::string& out, long used, long limit, int warn_at_percent) {
    const double percent = usage_percent(used, limit);
    if (percent < 0) {
        out += "<span class=\"muted\">n/a</span>";
        return;
    }
    const std::string shown = format_fixed(percent, 1) + "%";
    out += "<span class=\"bar\" role=\"img\" aria-label=\"" + shown + " used\"><span class=\"fill-";
    out += severity_for_percent(percent, warn_at_percent);
    out += "\" style=\"width:" + format_fixed(std::min(percent, 100.0), 1) + "%\"></span></span>";
    out += shown;
}

void state_badge(std::string& out, HeadroomState state) {
    out += "<span class=\"state state-";
    out += to_string(state);
    out += "\">";
    out += to_string(state);
    out += "</span>";
}
}  // namespace semguard::html
