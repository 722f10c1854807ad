#include "status/render_html.h"

#include <algorithm>
#include <string_view>

#include "text/html_escape.h"
#include "status/status_query.h"
#include "status/status_text.h"
#include "text/url_escape.h"
#include "version.h"

namespace semguard {

namespace {

// Sober like /server-status, but with tables that scroll sideways on a phone
// instead of widening the whole page, and key/value lists that stack there.
constexpr std::string_view kStyle = R"(<style>
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;
 font-size:15px;line-height:1.45;color:#1a1a1a;background:#fff;
 margin:0 auto;padding:1em 1.25em 2em;max-width:100em}
h1{font-size:1.45em;margin:.3em 0 .7em;overflow-wrap:anywhere}
h2{font-size:1.15em;margin:1.8em 0 .6em;padding-bottom:.25em;border-bottom:1px solid #ccc}
h3{font-size:1em;margin:1.3em 0 .4em}
p{margin:.5em 0}
hr{border:0;border-top:1px solid #ccc;margin:1em 0}
dl.kv{display:grid;grid-template-columns:minmax(15em,max-content) minmax(0,1fr);
 gap:.2em 1.25em;margin:.6em 0}
dl.kv dt{font-weight:600;color:#444}
dl.kv dd{margin:0;overflow-wrap:anywhere}
.scroll{overflow-x:auto;margin:.6em 0}
table{border-collapse:collapse;font-size:.93em}
th,td{border:1px solid #c8c8c8;padding:.3em .6em;text-align:left;vertical-align:top;
 white-space:nowrap}
th{background:#eee;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}
td.text{white-space:normal;min-width:14em;max-width:40em}
tr.missing td{background:#fdecea}
.bar{display:inline-block;width:7em;height:.8em;border:1px solid #999;background:#f4f4f4;
 vertical-align:middle;margin-right:.45em}
.bar span{display:block;height:100%}
.fill-ok{background:#4c9a2a}
.fill-warn{background:#d89614}
.fill-critical{background:#c62828}
.state{display:inline-block;padding:0 .45em;border-radius:3px;font-weight:600;color:#fff}
.state-ok{background:#2e7d32}
.state-warn{background:#a15c00}
.state-critical{background:#c62828}
.state-unknown{background:#666}
.banner{border:1px solid #ddd;border-left:.4em solid #666;background:#f7f7f7;
 padding:.55em .9em;margin:1em 0}
.banner-ok{border-left-color:#2e7d32}
.banner-warn{border-left-color:#d89614;background:#fff8e6}
.banner-critical{border-left-color:#c62828;background:#fdecea}
.alert{color:#a11;font-weight:600}
.muted{color:#666}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.92em}
pre{background:#f6f6f6;border:1px solid #ddd;padding:.5em .75em;overflow-x:auto;margin:.5em 0;
 width:max-content;max-width:100%;box-sizing:border-box}
footer{margin-top:2.2em;border-top:1px solid #ccc;padding-top:.6em;font-size:.9em;color:#555}
@media (max-width:40em){
 body{padding:.75em .75em 1.5em}
 dl.kv{grid-template-columns:minmax(0,1fr);gap:0}
 dl.kv dd{margin:0 0 .45em}
 th,td{padding:.25em .45em}
 .bar{width:3.5em}
}
</style>
)";

// A page of thousands of look-alike commands helps nobody; ?json has them all.
constexpr std::size_t kMaxLookalikeCommands = 50;

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
void type_cell(std::string& out, const std::string& type, const char* attrs = "") {
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

const char* severity_for_percent(double percent, int warn_at_percent) {
    if (percent >= 100.0) return "critical";
    if (percent >= warn_at_percent) return "warn";
    return "ok";
}

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

// The links to the other formats. httpd passes the path decoded; anything but an
// absolute local path (no "//host") falls back to a relative link, which cannot
// point anywhere else than this handler.
std::string link_base(const std::string& base_path) {
    if (base_path.empty() || base_path[0] != '/' || base_path.compare(0, 2, "//") == 0) return "";
    return url_path_escape(base_path);
}

void head(std::string& out, const StatusModel& m, const RenderOptions& o) {
    out +=
        "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        "<meta name=\"robots\" content=\"noindex, nofollow\">\n";
    if (o.refresh > 0) {
        const int seconds = std::clamp(o.refresh, kMinRefreshSeconds, kMaxRefreshSeconds);
        out += "<meta http-equiv=\"refresh\" content=\"";
        num(out, seconds);
        out += "\">\n";
    }
    // No favicon request: it would only add a 404 to the log and the console.
    out += "<link rel=\"icon\" href=\"data:,\">\n<title>Apache Semaphore Guard Status for ";
    esc(out, m.server_name);
    out += "</title>\n";
    out += kStyle;
    out += "</head>\n<body>\n";
}

void server_section(std::string& out, const StatusModel& m, int64_t now) {
    out += "<h1>Apache Semaphore Guard Status for ";
    esc(out, m.server_name);
    out += "</h1>\n<dl class=\"kv\">\n";
    kv_text(out, "Server Version", m.server_version);
    kv_text(out, "Module Version", std::string("mod_semguard/") + kModuleVersion);
    kv_text(out, "Server MPM", m.mpm);
    kv_text(out, "Server Root", m.server_root);
    kv_text(out, "Config File", m.config_file);
    out += "</dl>\n<hr>\n<dl class=\"kv\">\n";
    kv_text(out, "Current Time", format_utc_time(now));
    if (m.started_at > 0) kv_text(out, "Parent Start Time", format_utc_time(m.started_at));
    kv_num(out, "Parent Server Generation", m.generation);
    kv_num(out, "Parent Process", m.parent_pid);
    kv_text(out, "Server uptime",
            m.started_at > 0 ? format_duration(now - m.started_at) : std::string("unknown"));
    out += "</dl>\n";
}

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

void no_sysv_note(std::string& out, const StatusModel& m) {
    const std::string mechanisms = mechanisms_in_use(m);
    out += "<p><strong>No SysV semaphore sets in use:</strong> every mutex uses ";
    esc(out, mechanisms.empty() ? std::string("another mechanism") : mechanisms);
    out += ".</p>\n";
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
        out += "<tr><td>(not in httpd's mutex table)</td><td>\u2014</td><td>sysvsem</td>"
               "<td><strong>yes</strong></td><td>\u2014</td>";
        num_cell(out, m.sets_outside_table);
        out += "</tr>\n";
    }
    out += "</table></div>\n";
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
            out += "<strong>parent-only</strong>: present, kept by the parent for itself; "
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

void reclaimed_table(std::string& out, const std::vector<ReclaimedView>& sets) {
    out +=
        "<div class=\"scroll\"><table>\n<tr><th class=\"num\">Semid</th><th>Type</th>"
        "<th class=\"num\">Parent PID of its run</th></tr>\n";
    for (const ReclaimedView& r : sets) {
        out += "<tr>";
        num_cell(out, r.semid);
        type_cell(out, r.type);
        num_cell(out, r.old_parent_pid);
        out += "</tr>\n";
    }
    out += "</table></div>\n";
}

void startup_section(std::string& out, const StatusModel& m) {
    const StartupView& st = m.startup;
    out += "<h2 id=\"startup\">At this start</h2>\n<dl class=\"kv\">\n";
    kv_text(out, "Reclaim mode", st.mode.empty() ? std::string("unknown") : st.mode);
    if (!st.summary.empty()) kv_text(out, "What happened", st.summary);
    kv_text(out, "Previous run",
            st.post_mortem.empty() ? std::string("ended cleanly") : st.post_mortem);
    if (st.ipc_namespace != 0)
        kv_text(out, "IPC namespace", "ipc:[" + std::to_string(st.ipc_namespace) + "]");
    dt(out, "Since the parent started");
    out += "<dd>" + std::to_string(st.reclaimed_total) + " reclaimed, " +
           std::to_string(st.kept_total) + " kept</dd>\n</dl>\n";

    out += "<h3>Reclaimed</h3>\n";
    if (st.reclaimed.empty())
        out += "<p class=\"muted\">None.</p>\n";
    else
        reclaimed_table(out, st.reclaimed);

    if (!st.would_reclaim.empty() || st.mode == "dryrun") {
        out += "<h3>Would reclaim (dry run)</h3>\n";
        if (st.would_reclaim.empty())
            out += "<p class=\"muted\">None.</p>\n";
        else
            reclaimed_table(out, st.would_reclaim);
    }

    out += "<h3>Kept</h3>\n";
    if (st.kept.empty()) {
        out += "<p class=\"muted\">None.</p>\n";
    } else {
        out +=
            "<div class=\"scroll\"><table>\n<tr><th class=\"num\">Semid</th><th>Type</th>"
            "<th>Why it was kept</th></tr>\n";
        for (const KeptView& k : st.kept) {
            out += "<tr>";
            num_cell(out, k.semid);
            type_cell(out, k.type);
            out += "<td class=\"text\">";
            esc(out, k.reason);
            out += "</td></tr>\n";
        }
        out += "</table></div>\n";
    }

    if (!st.unvouched.empty()) {
        out += "<h3>Sets not vouched for</h3>\n<p class=\"alert\">The module was enabled by a "
               "reload. These sets were made by the running server before that and are not "
               "recorded, so a crash would leave them behind; a full restart enrolls them: ";
        for (std::size_t i = 0; i < st.unvouched.size(); ++i)
            out += (i ? ", " : "") + std::to_string(st.unvouched[i]);
        out += ".</p>\n";
    }
    if (!m.restart_growth.empty()) {
        out += "<h3>Left behind at the last graceful restart</h3>\n<ul>\n";
        for (const auto& g : m.restart_growth) {
            out += "<li>";
            esc(out, g.module);
            out += ": " + std::to_string(g.sets) + " set(s)</li>\n";
        }
        out += "</ul>\n";
    }
    if (!m.removed_outside.empty()) {
        out += "<h3>Removed from outside while this run ran</h3>\n<p class=\"alert\">";
        for (std::size_t i = 0; i < m.removed_outside.size(); ++i) {
            out += (i ? ", " : "") + std::to_string(m.removed_outside[i].semid) + " (";
            esc(out, m.removed_outside[i].type.empty() ? "type unknown" : m.removed_outside[i].type);
            out += ")";
        }
        out += "</p>\n";
    }

    out += "<h3>Look-alike sets</h3>\n";
    if (st.lookalikes.empty()) {
        out += "<p class=\"muted\">None.</p>\n";
        return;
    }
    const std::size_t n = st.lookalikes.size();
    out += "<p>" + std::to_string(n) + (n == 1 ? " set looks" : " sets look") +
           " like httpd's but no recorded run of this server owns " + (n == 1 ? "it" : "them") +
           "; left alone. Inspect with:</p>\n<pre>";
    for (std::size_t i = 0; i < n && i < kMaxLookalikeCommands; ++i)
        out += "ipcs -s -i " + std::to_string(st.lookalikes[i]) + "\n";
    out += "</pre>\n";
    if (n > kMaxLookalikeCommands)
        out += "<p class=\"muted\">and " + std::to_string(n - kMaxLookalikeCommands) +
               " more (all of them are in ?json).</p>\n";
}

void diagnosis_section(std::string& out, const StatusModel& m) {
    out += "<h2 id=\"owners\">SysV semaphore use by owner</h2>\n";
    if (m.owners.empty()) {
        out += "<p class=\"muted\">No sets in use, or the sets could not be listed.</p>\n";
    } else {
        out +=
            "<div class=\"scroll\"><table>\n<tr><th>Owner</th><th>Sets</th><th>Semaphores</th>"
            "<th>This server's</th><th>Look like httpd's</th></tr>\n";
        for (const OwnerView& o : m.owners) {
            out += "<tr>";
            text_cell(out, o.others ? std::to_string(o.owners) + " other owners" : o.owner);
            num_cell(out, o.sets);
            num_cell(out, o.semaphores);
            num_cell(out, o.ours);
            num_cell(out, o.httpd_like);
            out += "</tr>\n";
        }
        out += "</table></div>\n";
    }
    out += "<h2 id=\"removeipc\">systemd-logind RemoveIPC</h2>\n<dl class=\"kv\">\n";
    kv_text(out, "Verdict", m.diagnosis.removeipc_checked ? m.diagnosis.removeipc_verdict
                                                          : std::string("not checked"));
    out += "</dl>\n";
}

void footer(std::string& out, const RenderOptions& o) {
    const std::string base = link_base(o.base_path);
    out += "<footer>Also as <a href=\"" + base + "?auto\">?auto</a> \u00b7 <a href=\"" + base +
           "?json\">?json</a> \u00b7 <a href=\"" + base + "?metrics\">?metrics</a> \u00b7 ";
    if (o.refresh > 0) {
        const int seconds = std::clamp(o.refresh, kMinRefreshSeconds, kMaxRefreshSeconds);
        out += "reloading every " + std::to_string(seconds) + " seconds (<a href=\"" +
               (base.empty() ? std::string("?") : base) + "\">stop</a>)";
    } else {
        out += "<a href=\"" + base + "?refresh=" + std::to_string(kDefaultRefreshSeconds) +
               "\">reload every " + std::to_string(kDefaultRefreshSeconds) + " seconds</a>";
    }
    out += "</footer>\n";
}

}  // namespace

std::string render_html(const StatusModel& model, const RenderOptions& options) noexcept {
    try {
        std::string out;
        out.reserve(16384);
        const int64_t now = effective_now(model, options.now);
        head(out, model, options);
        server_section(out, model, now);
        kernel_section(out, model);
        mutex_section(out, model);
        sets_section(out, model);
        startup_section(out, model);
        diagnosis_section(out, model);
        footer(out, options);
        out += "</body>\n</html>\n";
        return out;
    } catch (...) {
        return std::string();
    }
}

}  // namespace semguard
