#include "status/render_html.h"

#include <algorithm>
#include <string_view>

#include "status/render_html_parts.h"
#include "status/status_query.h"
#include "status/status_text.h"
#include "text/url_escape.h"
#include "version.h"

namespace semguard {

using namespace html;

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
