// What this server instance knows about its own semaphore sets: the record that
// the state file carries from one run to the next, and that children inherit.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernel/sem_kernel.h"

namespace semguard {

// One httpd instance: the same three paths mean the same server.
struct InstanceIdentity {
    std::string server_root;
    std::string config_file;
    std::string pid_file;

    bool operator==(const InstanceIdentity& o) const {
        return server_root == o.server_root && config_file == o.config_file &&
               pid_file == o.pid_file;
    }
    bool operator!=(const InstanceIdentity& o) const { return !(*this == o); }
    // 16 lowercase hex digits (FNV-1a 64 of the three paths); used in file names.
    std::string digest() const;
};

// One run: from `apachectl start` to the parent's exit, across restarts.
struct RunIdentity {
    pid_t parent_pid = 0;             // the pid now writing (pre-detach pid in the first pass)
    uint64_t parent_start_ticks = 0;  // tells a reused pid from ours
    std::string boot_id;              // SysV objects never survive a boot
    uid_t euid = 0;                   // cuid of every set this run creates
    int anchor_shmid = -1;            // -1: no anchor, so death can never be proven
    pid_t anchor_creator = 0;
    int64_t anchor_ctime = 0;
    int64_t started_at = 0;      // wall clock, seconds
    uint64_t ipc_namespace = 0;  // inode of /proc/self/ns/ipc (0: unknown)
};

enum class RunPhase {
    Starting,  // written before a pass creates its mutexes: sets may follow unrecorded
    Running,   // every set of the current generation exists and is listed
    Stopped,   // the parent shut down cleanly
};

const char* to_string(RunPhase phase);

struct RecordedSet {
    SetInfo identity;           // semid, key, owners, mode, nsems, ctime; otime is not identity
    std::string type;           // mutex type, or "" where it cannot be known for certain
    pid_t creator_pid = 0;      // the httpd process that created it
    long generation = 0;        // configuration generation that created it (0: preflight pass)
    bool is_protected = false;  // SemGuardProtect applied: owner root, group Group, 0660
    // The module whose hook created it, where the hook span pins it down and its
    // type is not in httpd's Mutex table ("mod_security2.c"); "" otherwise.
    std::string module;
};

// A recorded set found missing (or replaced) while the run was alive.
struct OutsideRemoval {
    int semid = -1;
    std::string type;
    int64_t detected_at = 0;
};

struct Record {
    InstanceIdentity instance;
    RunIdentity run;
    RunPhase phase = RunPhase::Starting;
    long generation = 0;
    int64_t written_at = 0;  // wall clock of the write; Starting: the pass began after this
    std::vector<RecordedSet> sets;
    std::vector<OutsideRemoval> removed_outside;
};

// True when `live` is still the set that `recorded` describes: same id, key, creator
// and owner ids, mode, size and ctime. A recycled id or an IPC_SET from outside fails.
bool same_set(const SetInfo& recorded, const SetInfo& live);

}  // namespace semguard
