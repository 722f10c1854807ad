// The status page's HTML, in pieces: the cells and key/value rows every section
// uses (render_html_cells.cc) and one function per section of the page. The
// page's skeleton (head, style, footer, the order of the sections) is
// render_html.cc. Internal to status/: nothing else includes this.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "status/status_model.h"

namespace semguard::html {

// Cells and key/value rows; every string is HTML-escaped on the way in.
void esc(std::string& out, std::string_view text);
void num(std::string& out, long long value);
void num_cell(std::string& out, long long value);
void text_cell(std::string& out, std::string_view text);
// A set's or mutex's type; "" means nobody can tell, which the page says.
void type_cell(std::string& out, const std::string& type, const char* attrs = "");
// `term` is always a literal of the renderer: it is not escaped.
void dt(std::string& out, std::string_view term);
void dd_text(std::string& out, std::string_view text);
void kv_text(std::string& out, std::string_view term, std::string_view text);
void kv_num(std::string& out, std::string_view term, long long value);
void usage_bar(std::string& out, long used, long limit, int warn_at_percent);
void state_badge(std::string& out, HeadroomState state);

// The sections, in the order the page shows them after the server's facts.
void kernel_section(std::string& out, const StatusModel& m);     // limits and headroom
void mutex_section(std::string& out, const StatusModel& m);      // httpd's mutex table
void sets_section(std::string& out, const StatusModel& m);       // this server's sets
void startup_section(std::string& out, const StatusModel& m);    // reclaim at this start
void diagnosis_section(std::string& out, const StatusModel& m);  // owners, RemoveIPC

}  // namespace semguard::html
