// What this start did: reclaimed, kept and look-alike sets, what a dry run
// would have reclaimed, and what was lost or left behind since.
#include "status/render_html_parts.h"

#include <algorithm>
#include <string>

#include "status/status_text.h"

namespace semguard::html {

namespace {

// A page of thousands of look-alike commands helps nobody; ?json has them all.
constexpr std::size_t kMaxLookalikeCommands = 50;

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

}  // namespace

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
        out +=
            "<h3>Sets not vouched for</h3>\n<p class=\"alert\">The module was enabled by a "
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
            esc(out,
                m.removed_outside[i].type.empty() ? "type unknown" : m.removed_outside[i].type);
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

}  // namespace semguard::html
