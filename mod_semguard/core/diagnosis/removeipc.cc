#include "diagnosis/removeipc.h"

#include <algorithm>
#include <cctype>
#include <map>

namespace semguard {

namespace {

std::string trim(const std::string& s) {
    size_t b = 0, e = s.size();
    while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
    while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
    return s.substr(b, e - b);
}

std::string lower(std::string s) {
    for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

template <class Fn>
void for_each_line(const std::string& text, Fn fn) {
    size_t pos = 0;
    while (pos <= text.size()) {
        const size_t nl = text.find('\n', pos);
        fn(text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
        if (nl == std::string::npos) break;
        pos = nl + 1;
    }
}

// Printable, bounded: a file's content goes into a log line.
std::string shown(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 60))
        out += (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) >= 0x7f) ? '?'
                                                                                               : c;
    return out;
}

}  // namespace

long parse_sys_uid_max(const std::string& text, long fallback, bool* found) {
    long value = fallback;
    if (found) *found = false;
    for_each_line(text, [&](const std::string& raw) {
        const std::string line = trim(raw);
        if (line.empty() || line[0] == '#') return;
        const size_t sp = line.find_first_of(" \t");
        if (sp == std::string::npos || line.substr(0, sp) != "SYS_UID_MAX") return;
        const std::string v = trim(line.substr(sp));
        if (v.empty() || v.size() > 10 ||
            !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; }))
            return;
        value = std::stol(v);
        if (found) *found = true;
    });
    return value;
}

int parse_remove_ipc(const std::string& text, std::string* bad) {
    int value = -1;
    bool in_login = false;
    for_each_line(text, [&](const std::string& raw) {
        const std::string line = trim(raw);
        if (line.empty() || line[0] == '#' || line[0] == ';') return;
        if (line[0] == '[') {
            in_login = line == "[Login]";
            return;
        }
        if (!in_login) return;
        const size_t eq = line.find('=');
        if (eq == std::string::npos || trim(line.substr(0, eq)) != "RemoveIPC") return;
        const std::string v = lower(trim(line.substr(eq + 1)));
        if (v == "yes" || v == "true" || v == "on" || v == "1" || v == "y" || v == "t")
            value = 1;
        else if (v == "no" || v == "false" || v == "off" || v == "0" || v == "n" || v == "f")
            value = 0;
        else {
            // systemd ignores a value it cannot parse, with a warning: so do we.
            if (bad) *bad = shown(line);
        }
    });
    return value;
}

bool shell_allows_login(const std::string& shell) {
    if (shell.empty()) return true;  // an empty shell field means /bin/sh
    const size_t slash = shell.rfind('/');
    const std::string base = slash == std::string::npos ? shell : shell.substr(slash + 1);
    return base != "nologin" && base != "false";
}

std::vector<std::string> logind_config_paths(SystemFiles& files) {
    std::vector<std::string> out = {"/etc/systemd/logind.conf"};
    // Drop-ins: sorted by file name over all directories; a name in an earlier
    // directory hides the same name in the later ones.
    static const char* const kDirs[] = {"/etc/systemd/logind.conf.d", "/run/systemd/logind.conf.d",
                                        "/usr/local/lib/systemd/logind.conf.d",
                                        "/usr/lib/systemd/logind.conf.d"};
    std::map<std::string, std::string> by_name;
    for (const char* dir : kDirs)
        for (const auto& name : files.list(dir, ".conf"))
            by_name.emplace(name, std::string(dir) + "/" + name);
    for (const auto& [name, path] : by_name) out.push_back(path);
    return out;
}

RemoveIpcVerdict assess_removeipc(const RemoveIpcInput& in, SystemFiles& files) {
    RemoveIpcVerdict v;
    if (!in.user_known || in.uid == 0) {
        v.verdict = "no risk: httpd's sets belong to root, which RemoveIPC never cleans";
        return v;
    }
    const std::string who =
        (in.passwd.found ? shown(in.passwd.name) : std::string("(no passwd entry)")) + " (uid " +
        std::to_string(in.uid) + ")";

    const TextFile defs = files.read("/etc/login.defs");
    bool found = false;
    v.sys_uid_max = 999;
    v.sys_uid_max_from = "default";
    if (defs.readable) {
        v.sys_uid_max = parse_sys_uid_max(defs.content, 999, &found);
        if (found) v.sys_uid_max_from = "/etc/login.defs";
    } else if (defs.exists) {
        v.problems.push_back("cannot read /etc/login.defs: " + defs.error +
                             "; assuming SYS_UID_MAX 999");
    }

    v.removeipc = true;
    v.removeipc_from = "default";
    for (const auto& path : logind_config_paths(files)) {
        const TextFile f = files.read(path);
        if (!f.exists) continue;
        if (!f.readable) {
            v.problems.push_back("cannot read " + path + ": " + f.error +
                                 "; its RemoveIPC= setting, if any, is not known");
            continue;
        }
        std::string bad;
        const int r = parse_remove_ipc(f.content, &bad);
        if (!bad.empty())
            v.problems.push_back(path + ": value not understood, ignored as logind does: \"" + bad +
                                 "\"");
        if (r >= 0) {
            v.removeipc = r == 1;
            v.removeipc_from = path;
        }
    }

    v.can_login = in.passwd.found && shell_allows_login(in.passwd.shell);
    const bool system_user = static_cast<long>(in.uid) <= v.sys_uid_max;
    const std::string removeipc_text =
        std::string("RemoveIPC=") + (v.removeipc ? "yes" : "no") + " (" + v.removeipc_from + ")";
    if (system_user) {
        v.verdict = "no risk: User " + who + " is a system user (SYS_UID_MAX " +
                    std::to_string(v.sys_uid_max) + ", " + v.sys_uid_max_from +
                    "), logind never removes its IPC objects; " + removeipc_text;
        return v;
    }
    if (!v.can_login) {
        v.verdict = "no risk: User " + who + " cannot log in (" +
                    (in.passwd.found ? "shell " + (in.passwd.shell.empty() ? std::string("(empty)")
                                                                           : shown(in.passwd.shell))
                                     : std::string("no passwd entry")) +
                    "), so it has no login session whose end triggers RemoveIPC; " + removeipc_text;
        return v;
    }
    if (!v.removeipc) {
        v.verdict = "no risk: " + removeipc_text + ", although User " + who +
                    " is not a system user and can log in";
        return v;
    }
    v.conditions = true;
    const std::string why = "User " + who + " is not a system user (uid above SYS_UID_MAX " +
                            std::to_string(v.sys_uid_max) + ", " + v.sys_uid_max_from +
                            "), can log in (shell " + shown(in.passwd.shell) +
                            "), and systemd-logind's " + removeipc_text + " is in effect";
    if (in.protect) {
        v.verdict = "protected: " + why +
                    "; SemGuardProtect re-owns the sets to root, and "
                    "logind removes only objects whose owner uid is the user's";
        v.protected_note = why +
                           ": logind would remove httpd's semaphore sets when that user's "
                           "last session ends, but SemGuardProtect On re-owns them to root:Group "
                           "and logind matches the owner uid only (not the creator), so they stay";
        return v;
    }
    v.risk = true;
    v.verdict = "at risk: " + why +
                "; the sets are removed when that user's last login "
                "session ends";
    v.warning = why +
                ": when that user's last login session ends, logind removes every SysV "
                "semaphore set whose owner is uid " +
                std::to_string(in.uid) +
                ", httpd's included, and httpd fails with \"(43)Identifier removed: AH00144\". "
                "Remedies: make User a system user (uid at most " +
                std::to_string(v.sys_uid_max) +
                "), or set RemoveIPC=no in "
                "/etc/systemd/logind.conf.d/ and restart systemd-logind, or SemGuardProtect On "
                "(re-owns the sets to root:Group; logind matches the owner uid only)";
    return v;
}

bool remember_removeipc(DiagnosisView& view, const RemoveIpcVerdict& v) {
    std::string said = v.warning + "\n" + v.protected_note;
    for (const auto& p : v.problems) said += "\n" + p;
    if (said == "\n") said.clear();
    const bool news = !said.empty() && said != view.removeipc_said;
    view.removeipc_checked = true;
    view.removeipc_risk = v.risk;
    view.removeipc_verdict = v.verdict;
    view.removeipc_said = said;
    return news;
}

}  // namespace semguard
