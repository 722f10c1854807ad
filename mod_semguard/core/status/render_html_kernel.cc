// The kernel's semaphore limits with this configuration's headroom, and httpd's
// mutex table: which mutexes use SysV semaphores.
#include "status/render_html_parts.h"

#include <algorithm>
#include <string>

#include "status/status_text.h"

namespace semguard::html {

namespace {

void headroom_banner(std::string& out, const StatusModel& m) {
    out += "<div class=\"banner banner-";
    out += to_string(m.headroom);
    out += "\"><strong>Headroom:</strong> ";
    state_badge(out, m.headroom);
    if (!m.headroom_text.empty()) {
        out += " ";
        esc(out, m.headroom_text);
    } else if (m.headroom == HeadroomState::Ok) {
        out += " the kernel's semaphore limits leave room for this configuration.";
    }
    out += "</div>\n";
}

// The percentage bar comes right after the name, so a phone shows it without scrolling.
void limit_row(std::string& out, const char* name, const char* what, long used, long limit,
               int warn_at_percent) {
    out += "<tr><td><code>";
    out += name;
    out += "</code> <span class=\"muted\">";
    out += what;
    out += "</span></td><td>";
    usage_bar(out, used, limit, warn_at_percent);
    out += "</td>";
    num_cell(out, used);
    num_cell(out, free_of(used, limit));
    num_cell(out, limit);
    out += "</tr>\n";
}

std::string undo_text(const StatusModel& m) {
    std::string text = m.undo_note;
    if (m.limits.undo_enforced) {
        if (!text.empty()) text += "; ";
        text += "SEMMNU " + std::to_string(m.limits.semmnu) +
                " undo structures system-wide, SEMUME " + std::to_string(m.limits.semume) +
                " undo entries per process";
    }
    if (text.empty()) text = "not limited";
    return text;
}

}  // namespace

void kernel_section(std::string& out, const StatusModel& m) {
    out += "<h2 id=\"kernel\">Kernel limits and use</h2>\n";
    headroom_banner(out, m);
    if (!m.kernel_ok) {
        out += "<p class=\"alert\">The kernel's semaphore limits could not be read: ";
        esc(out, m.kernel_error);
        out += "</p>\n";
    } else {
        out +=
            "<div class=\"scroll\"><table>\n<tr><th>Resource</th><th>Use</th>"
            "<th class=\"num\">Used</th><th class=\"num\">Free</th><th class=\"num\">Limit</th>"
            "</tr>\n";
        limit_row(out, "SEMMNI", "semaphore sets", m.usage.arrays, m.limits.semmni,
                  m.warn_at_percent);
        limit_row(out, "SEMMNS", "semaphores", m.usage.semaphores, m.limits.semmns,
                  m.warn_at_percent);
        out += "</table></div>\n";
    }
    out += "<dl class=\"kv\">\n";
    if (m.kernel_ok) {
        dt(out, "<code>SEMMSL</code>");
        out += "<dd>" + std::to_string(m.limits.semmsl) + " semaphores per set</dd>\n";
        dt(out, "<code>SEMOPM</code>");
        out += "<dd>" + std::to_string(m.limits.semopm) + " operations per semop call</dd>\n";
        dt(out, "<code>SEMVMX</code>");
        out += "<dd>" + std::to_string(m.limits.semvmx) + " highest semaphore value</dd>\n";
        kv_text(out, "Undo structures", undo_text(m));
    }
    dt(out, "Projected need");
    out += "<dd>" + std::to_string(m.projected_arrays) + " sets with " +
           std::to_string(m.projected_semaphores) +
           " semaphores for each generation of this configuration</dd>\n";
    dt(out, "Warning threshold");
    out += "<dd>" + std::to_string(m.warn_at_percent) + "% of a limit</dd>\n</dl>\n";
}

void mutex_section(std::string& out, const StatusModel& m) {
    out += "<h2 id=\"mutexes\">Mutexes</h2>\n";
    if (m.mutexes.empty()) {
        out += "<p class=\"muted\">No mutexes reported.</p>\n";
        return;
    }
    out +=
        "<div class=\"scroll\"><table>\n<tr><th>Mutex type</th><th>Configured</th>"
        "<th>Effective</th><th>SysV</th><th>Directory</th><th>Sets now</th></tr>\n";
    for (const MutexView& x : m.mutexes) {
        out += "<tr>";
        type_cell(out, x.type);
        text_cell(out, x.configured);
        text_cell(out, x.mechanism);
        out += x.sysv ? "<td><strong>yes</strong></td>" : "<td>no</td>";
        text_cell(out, x.dir.empty() ? std::string("\u2014") : x.dir);
        num_cell(out, x.sets_now);
        out += "</tr>\n";
    }
    if (m.sets_outside_table > 0) {
        out +=
            "<tr><td>(not in httpd's mutex table)</td><td>\u2014</td><td>sysvsem</td>"
            "<td><strong>yes</strong></td><td>\u2014</td>";
        num_cell(out, m.sets_outside_table);
        out += "</tr>\n";
    }
    out += "</table></div>\n";
}

}  // namespace semguard::html
