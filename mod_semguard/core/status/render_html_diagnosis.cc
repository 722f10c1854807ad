// What operators need next to a failure: SysV use by owner and logind's
// RemoveIPC verdict.
#include "status/render_html_parts.h"

#include <algorithm>
#include <string>

#include "status/status_text.h"

namespace semguard::html {

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
    kv_text(
        out, "Verdict",
        m.diagnosis.removeipc_checked ? m.diagnosis.removeipc_verdict : std::string("not checked"));
    out += "</dl>\n";
}

}  // namespace semguard::html
