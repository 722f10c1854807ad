// The table of this server's SysV semaphore sets: one row per semaphore, the
// set-wide cells spanning them; a missing or replaced set is one red row.
#include "status/render_html_parts.h"

#include <algorithm>
#include <string>

#include "status/status_text.h"

namespace semguard::html {

namespace {

void no_sysv_note(std::string& out, const StatusModel& m) {
    const std::string mechanisms = mechanisms_in_use(m);
    out += "<p><strong>No SysV semaphore sets in use:</strong> every mutex uses ";
    esc(out, mechanisms.empty() ? std::string("another mechanism") : mechanisms);
    out += ".</p>\n";
}

constexpr int kSemaphoreColumns = 4;  // #, State, Waiting, Last PID
constexpr int kSetColumnsAfter = 5;   // Owner, Mode, Last semop, Changed, Protected

void last_pid_cell(std::string& out, const SemaphoreView& s) {
    out += "<td class=\"num\">";
    if (s.last_pid <= 0) {
        out += "<span class=\"muted\">none</span>";
    } else {
        num(out, s.last_pid);
        out += " <span class=\"muted\">";
        out += last_pid_note(s);
        out += "</span>";
    }
    out += "</td>";
}

void semaphore_cells(std::string& out, std::size_t index, const SemaphoreView& s) {
    num_cell(out, static_cast<long long>(index));
    // "held" stands out: a mutex held for long, with waiters, is what an administrator looks for.
    out += s.value == 0 ? "<td><strong>held</strong></td>"
                        : "<td>" + semaphore_state_word(s.value) + "</td>";
    out += s.waiting > 0 ? "<td class=\"num alert\">" : "<td class=\"num\">";
    num(out, s.waiting);
    out += "</td>";
    last_pid_cell(out, s);
}

// The set-wide cells after the semaphore columns; rowspan covers its semaphores.
void set_cells(std::string& out, const SetView& s, const std::string& rowspan) {
    out += "<td" + rowspan + ">";
    esc(out, s.owner.empty() ? std::to_string(s.uid) : s.owner);
    out += ":";
    esc(out, s.group.empty() ? std::to_string(s.gid) : s.group);
    out += "</td><td" + rowspan + "><code>" + format_mode_octal(s.mode) + "</code></td>";
    out += "<td" + rowspan + ">" + format_sem_time(s.otime) + "</td>";
    out += "<td" + rowspan + ">" + format_sem_time(s.ctime) + "</td>";
    out += "<td" + rowspan + ">" + (s.is_protected ? "yes" : "no") + "</td>";
}

void set_rows(std::string& out, const SetView& s) {
    const std::string semid = std::to_string(s.semid);
    if (!s.present || !s.identity_ok) {
        out += "<tr class=\"missing\"><td class=\"num\">" + semid + "</td>";
        type_cell(out, set_origin_text(s));
        out += "<td class=\"text\" colspan=\"" +
               std::to_string(kSemaphoreColumns + kSetColumnsAfter) + "\"><strong>";
        out += !s.present ? "missing</strong>: recorded by this server, but gone from the kernel "
                            "(removed from outside?)"
                          : "replaced</strong>: recorded by this server, but the id now names "
                            "another set";
        if (!s.error.empty()) {
            out += " \u2014 ";
            esc(out, s.error);
        }
        out += "</td></tr>\n";
        return;
    }

    // A partial read (some semaphores read, then an error) gets one more row for the
    // error, inside the set's rowspan so it stays visibly part of the set.
    const bool partial = !s.semaphores.empty() && !s.error.empty();
    const std::size_t rows = std::max<std::size_t>(1, s.semaphores.size() + (partial ? 1 : 0));
    const std::string rowspan = rows > 1 ? " rowspan=\"" + std::to_string(rows) + "\"" : "";
    out += "<tr><td class=\"num\"" + rowspan + ">" + semid + "</td>";
    type_cell(out, set_origin_text(s), rowspan.c_str());
    if (s.semaphores.empty()) {
        out += "<td class=\"text\" colspan=\"" + std::to_string(kSemaphoreColumns) + "\">";
        if (s.parent_only) {
            out +=
                "<strong>parent-only</strong>: present, kept by the parent for itself; "
                "children (which serve this page) cannot read it";
        } else if (!s.error.empty()) {
            out += "<span class=\"alert\">could not be read:</span> ";
            esc(out, s.error);
        } else {
            out += "<span class=\"muted\">not read</span>";
        }
        out += "</td>";
        set_cells(out, s, rowspan);
        out += "</tr>\n";
        return;
    }
    semaphore_cells(out, 0, s.semaphores[0]);
    set_cells(out, s, rowspan);
    out += "</tr>\n";
    for (std::size_t i = 1; i < s.semaphores.size(); ++i) {
        out += "<tr>";
        semaphore_cells(out, i, s.semaphores[i]);
        out += "</tr>\n";
    }
    if (partial) {
        out += "<tr><td class=\"text\" colspan=\"" + std::to_string(kSemaphoreColumns) +
               "\"><span class=\"alert\">read failed:</span> ";
        esc(out, s.error);
        out += "</td></tr>\n";
    }
}

}  // namespace

void sets_section(std::string& out, const StatusModel& m) {
    out += "<h2 id=\"sets\">SysV semaphore sets of this server</h2>\n";
    if (m.sets.empty()) {
        if (uses_sysv(m) || m.mutexes.empty())
            out += "<p>No SysV semaphore sets recorded for this server.</p>\n";
        else
            no_sysv_note(out, m);
        return;
    }
    std::size_t missing = 0, semaphores = 0;
    for (const SetView& s : m.sets) {
        if (!s.present || !s.identity_ok) ++missing;
        semaphores += s.semaphores.size();
    }
    out += "<p>" + std::to_string(m.sets.size()) + (m.sets.size() == 1 ? " set" : " sets") +
           " with " + std::to_string(semaphores) + (semaphores == 1 ? " semaphore" : " semaphores");
    if (missing > 0)
        out += ", <span class=\"alert\">" + std::to_string(missing) + " missing or replaced</span>";
    out += ". Protection (owner root, mode 0660): ";
    out += m.protection_enabled ? "on" : "off";
    out += ".</p>\n";
    out +=
        "<div class=\"scroll\"><table>\n<tr><th class=\"num\">Semid</th><th>Type</th>"
        "<th class=\"num\">#</th><th>State</th><th class=\"num\">Waiting</th>"
        "<th class=\"num\">Last PID</th><th>Owner</th><th>Mode</th><th>Last semop (UTC)</th>"
        "<th>Changed (UTC)</th><th>Protected</th></tr>\n";
    for (const SetView& s : m.sets) set_rows(out, s);
    out += "</table></div>\n";
    out +=
        "<p class=\"muted\">State: <em>free</em> = unlocked (value 1), <em>held</em> = locked "
        "(value 0). Waiting: processes blocked on the semaphore. Last PID: the process of the "
        "last operation.</p>\n";
}

}  // namespace semguard::html
