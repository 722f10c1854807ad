// systemd-logind's RemoveIPC=: when the last login session of a user that is
// not a system user ends, logind removes every IPC object of that user. What it
// matches, from systemd's src/shared/clean-ipc.c (clean_ipc_by_uid): a SysV
// semaphore set whose OWNER uid (sem_perm.uid) is the user's uid. The creator
// (cuid) is not looked at. httpd's sets are created by root and then re-owned to
// User (uid=User, cuid=root), so logind removes them. SemGuardProtect re-owns
// them to root:Group: owner uid 0, which clean_ipc never removes; that is what
// protects. A unit's own RemoveIPC= (service manager, at the unit's stop) also
// calls clean_ipc_by_gid for the unit's Group=, which matches the OWNER gid:
// it concerns only units that set User=/Group=; apache2.service runs as root,
// and uid/gid 0 are never cleaned.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "diagnosis/diagnosis_view.h"
#include "diagnosis/system_files.h"

namespace semguard {

struct PasswdFacts {
    bool found = false;  // getpwuid found an entry for User's uid
    std::string name;
    std::string shell;
};

struct RemoveIpcInput {
    bool user_known = false;  // httpd has a User (runs as root otherwise)
    uid_t uid = 0;
    PasswdFacts passwd;
    bool protect = false;  // SemGuardProtect On
};

struct RemoveIpcVerdict {
    bool risk = false;           // User's sets can be removed by logind right now
    bool conditions = false;     // all three conditions hold (risk, or averted by protection)
    bool removeipc = true;       // RemoveIPC in effect
    std::string removeipc_from;  // "default" or the file that set it last
    long sys_uid_max = 999;
    std::string sys_uid_max_from;
    bool can_login = false;
    std::string verdict;                // one sentence for the page
    std::string warning;                // SG0130, "" when nothing to warn about
    std::string protected_note;         // SG0131, risk averted by SemGuardProtect
    std::vector<std::string> problems;  // SG0132: files that could not be read or understood
};

// SYS_UID_MAX from login.defs text; `fallback` when absent or malformed.
long parse_sys_uid_max(const std::string& login_defs, long fallback, bool* found = nullptr);

// The value of RemoveIPC= in the [Login] section of one logind.conf text:
// 1 yes, 0 no, -1 not set. A malformed value is -2 (`bad` gets it).
int parse_remove_ipc(const std::string& logind_conf, std::string* bad = nullptr);

// Whether a login shell lets the user log in (not nologin, not false).
bool shell_allows_login(const std::string& shell);

// The configuration files logind reads, in the order it applies them.
std::vector<std::string> logind_config_paths(SystemFiles& files);

RemoveIpcVerdict assess_removeipc(const RemoveIpcInput& in, SystemFiles& files);

// Keeps `v` in the run's view for the page and ?metrics, and answers whether
// its lines (SG0130, SG0131, SG0132) are news: once per run, again only when
// what they would say changed. A graceful restart under the same conditions
// says nothing new; a changed verdict is logged.
bool remember_removeipc(DiagnosisView& view, const RemoveIpcVerdict& v);

}  // namespace semguard
