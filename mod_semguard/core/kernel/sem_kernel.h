// The one narrow door to the kernel's SysV semaphores. Everything the module
// knows about semaphore sets passes through this interface, so the engine can be
// tested against FakeSemKernel and the real LinuxSemKernel with one contract suite.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "kernel/sys_result.h"

namespace semguard {

// Kernel limits as /proc/sys/kernel/sem and IPC_INFO report them.
struct SemLimits {
    long semmsl = 0;             // max semaphores per set
    long semmns = 0;             // max semaphores system-wide
    long semopm = 0;             // max operations per semop call
    long semmni = 0;             // max sets (arrays) system-wide
    long semvmx = 0;             // max semaphore value
    long semaem = 0;             // max adjust-on-exit value
    long semmnu = 0;             // undo structures system-wide (reported only)
    long semume = 0;             // undo entries per process (reported only)
    bool undo_enforced = false;  // Linux allocates undo structures on demand
};

// Current use, as SEM_INFO reports it: what lsipc/ipcs -u show.
struct SemUsage {
    long arrays = 0;      // sets in use (semusz)
    long semaphores = 0;  // semaphores in use (semaem)
    int highest_index = -1;
};

// What IPC_STAT/SEM_STAT_ANY tell about one set: enough to recognise it later.
// A listing holds one per set (30,000 on a crowded host), so the 4-byte fields
// come first and leave no padding: 56 bytes, not 64.
struct SetInfo {
    int semid = -1;
    int32_t key = 0;
    uid_t uid = 0, cuid = 0;
    gid_t gid = 0, cgid = 0;
    unsigned mode = 0;  // permission bits only
    int index = -1;     // in the kernel's table, from a listing; -1 from stat_set
    unsigned long nsems = 0;
    int64_t otime = 0;  // last semop, 0 if never
    int64_t ctime = 0;  // creation or last IPC_SET/SETVAL
};

// One semaphore's live state (GETVAL, GETPID, GETNCNT, GETZCNT).
struct SemState {
    int value = 0;
    pid_t last_pid = 0;
    int waiting = 0;       // GETNCNT: processes blocked waiting to decrement
    int waiting_zero = 0;  // GETZCNT
};

// Where the kernel stands in its order of creation (issue #15). Linux (5.1 and
// later) hands out indices cyclically and raises the sequence number inside every
// id each time the cursor wraps, so ids of one `era` (the id less its index) were
// made in index order. Every set made between two cursors of the same era lies
// at an index between theirs and carries that era; no removal elsewhere can
// hide one (a set made in a hole left by a removal would be of the next era).
// Where the kernel behaves otherwise (older kernels raise the sequence number
// at every creation) two cursors are never of one era, and the caller lists.
struct CreationCursor {
    int64_t era = 0;  // the id less its index
    int index = -1;   // where the probe set went
};

class SemKernel {
public:
    virtual ~SemKernel() = default;

    virtual SysResult<SemLimits> limits() = 0;
    virtual SysResult<SemUsage> usage() = 0;
    // Every set in this IPC namespace that the caller may see.
    virtual SysResult<std::vector<SetInfo>> list_sets() = 0;
    // The sets at indices first_index..last_index only (holes skipped), in
    // index order: O(last - first), not O(sets). After a SEM_INFO that reported
    // `first_index - 1` as the highest index, these are sets made since.
    virtual SysResult<std::vector<SetInfo>> list_sets_between(int first_index, int last_index) = 0;
    virtual SysResult<SetInfo> stat_set(int semid) = 0;
    // Reading never changes any value; nsems comes from a prior stat.
    virtual SysResult<std::vector<SemState>> read_states(int semid, unsigned long nsems) = 0;
    virtual SysStatus remove_set(int semid) = 0;
    virtual SysStatus set_owner(int semid, uid_t uid, gid_t gid, unsigned mode) = 0;
    // Can this process create a set at all? semget(IPC_PRIVATE, 1, 0600) and its
    // removal at once. Fails as semget does: ENOSPC at a limit, and EOPNOTSUPP,
    // ENOSYS or EPERM where SysV semaphores are unusable (qemu-user, seccomp).
    // The default says yes, for kernels that cannot tell.
    virtual SysStatus probe_create() { return {}; }
    // Makes a one-semaphore set (IPC_PRIVATE, 0600), finds its index and removes
    // it. Costs a creation: the caller keeps a margin below SEMMNI and SEMMNS.
    // The default says the kernel cannot tell (ENOSYS): the caller lists.
    virtual SysResult<CreationCursor> creation_cursor() {
        return SysError{ENOSYS, "creation_cursor"};
    }
};

}  // namespace semguard
