#include "status/status_section.h"

#include "text/html_escape.h"

namespace semguard {

namespace {

long sysv_set_count(const StatusModel& m) {
    long n = 0;
    for (const auto& s : m.sets)
        if (s.present && s.identity_ok) ++n;
    return n;
}

long waiting(const StatusModel& m) {
    long n = 0;
    for (const auto& s : m.sets)
        for (const auto& sem : s.semaphores) n += sem.waiting;
    return n;
}

}  // namespace

std::string render_server_status_html(const StatusModel& m, const std::string& page_path) {
    std::string out = "<hr /><h2>SysV semaphores (mod_semguard)</h2>\n<dl>";
    out += "<dt>Semaphore arrays: " + std::to_string(m.usage.arrays) + " of " +
           std::to_string(m.limits.semmni) + " in use (SEMMNI)</dt>";
    out += "<dt>Semaphores: " + std::to_string(m.usage.semaphores) + " of " +
           std::to_string(m.limits.semmns) + " in use (SEMMNS)</dt>";
    out += "<dt>This server's sets: " + std::to_string(sysv_set_count(m)) + ", " +
           std::to_string(waiting(m)) + " processes waiting</dt>";
    out += "<dt>Headroom: " + std::string(to_string(m.headroom)) + "</dt>";
    if (!page_path.empty())
        out += "<dt><a href=\"" + html_escape(page_path) + "\">Details</a></dt>";
    out += "</dl>\n";
    return out;
}

std::string render_server_status_auto(const StatusModel& m) {
    std::string out;
    out += "SemGuardArraysUsed: " + std::to_string(m.usage.arrays) + "\n";
    out += "SemGuardArraysLimit: " + std::to_string(m.limits.semmni) + "\n";
    out += "SemGuardSemaphoresUsed: " + std::to_string(m.usage.semaphores) + "\n";
    out += "SemGuardSemaphoresLimit: " + std::to_string(m.limits.semmns) + "\n";
    out += "SemGuardSets: " + std::to_string(sysv_set_count(m)) + "\n";
    out += "SemGuardWaiting: " + std::to_string(waiting(m)) + "\n";
    out += "SemGuardHeadroom: " + std::string(to_string(m.headroom)) + "\n";
    return out;
}

}  // namespace semguard
