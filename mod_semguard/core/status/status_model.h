// Everything the semguard-status page shows, gathered once per request by the
// glue (status_collect) and rendered by pure functions (render_*.h).
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "headroom/headroom_state.h"
#include "diagnosis/diagnosis_view.h"
#include "kernel/sem_kernel.h"
#include "run/startup_view.h"

namespace semguard {

struct MutexView {
    std::string type;        // "mpm-accept", "ssl-cache", "default", ...
    std::string configured;  // as configured: "default", "sysvsem", "none", "using_defaults"
    std::string mechanism;   // effective, 'default' resolved: "sysvsem", "pthread", "fcntl", "none"
    std::string dir;         // for file-based mechanisms, else ""
    bool sysv = false;       // creates SysV semaphore sets
    long sets_now = 0;       // this server's sets of this type that exist now
};

struct SemaphoreView {
    int value = 0;       // 1 = free, 0 = held (httpd's mutexes start at 1)
    int waiting = 0;     // GETNCNT
    pid_t last_pid = 0;  // GETPID
    bool last_pid_alive = false;
    bool last_pid_ours = false;  // a process of this server (parent or child)
};

struct SetView {
    int semid = -1;
    std::string type;    // "" = unknown
    std::string module;  // the creating module when the type is not in httpd's table
    uid_t uid = 0;
    gid_t gid = 0;
    std::string owner;  // user name, or the number
    std::string group;
    unsigned mode = 0;
    unsigned long nsems = 0;
    int64_t otime = 0;
    int64_t ctime = 0;
    bool present = true;      // false: recorded but gone from the kernel
    bool identity_ok = true;  // false: the id now names some other set
    bool is_protected = false;
    bool parent_only = false;  // the parent keeps it for itself: this child cannot read it
    std::vector<SemaphoreView> semaphores;
    std::string error;  // a failed read, described
};

// SysV use by owner (sem_perm.uid), largest first; the rows past the first
// few are summed into one row with others = true.
struct OwnerView {
    std::string owner;  // user name, or the number; "others" for the summed rest
    uid_t uid = 0;
    bool others = false;
    long owners = 1;  // owners in this row
    long sets = 0;
    long semaphores = 0;
    long ours = 0;        // this server's sets
    long httpd_like = 0;  // sets that look like httpd's, not this server's
};

struct StatusModel {
    // The server
    std::string server_version;
    std::string server_name;
    std::string server_root;
    std::string config_file;
    std::string mpm;
    long generation = 0;
    pid_t parent_pid = 0;
    int64_t now = 0;
    int64_t started_at = 0;

    // Kernel limits and use
    bool kernel_ok = true;
    std::string kernel_error;
    SemLimits limits;
    SemUsage usage;
    long projected_arrays = 0;  // what this configuration creates per generation
    long projected_semaphores = 0;
    int warn_at_percent = 80;
    HeadroomState headroom = HeadroomState::Unknown;
    std::string headroom_text;  // the advice, "" when fine
    std::string undo_note;      // e.g. "not limited on Linux (allocated on demand)"

    std::vector<MutexView> mutexes;
    std::vector<SetView> sets;
    bool protection_enabled = false;
    StartupView startup;
    long sets_outside_table = 0;    // this server's sets whose type is not in httpd's mutex table
    std::vector<OwnerView> owners;  // empty when the sets could not be listed
    long owner_count = 0;           // distinct owners, before the "others" fold
    DiagnosisView diagnosis;

    // Other modules' sets
    struct Growth {
        std::string module;
        long sets = 0;
    };
    std::vector<Growth> restart_growth;  // left behind at the last graceful restart
    long removed_outside_sets = 0;       // sets of this run found removed from outside
    struct Removed {
        int semid = -1;
        std::string type;  // type or module, "" unknown
    };
    std::vector<Removed> removed_outside;
};

}  // namespace semguard
