// Which semaphore sets this process created. APR gives httpd's sets no key and
// no name, so ownership is established by observation: a set that did not exist
// at the previous snapshot, whose creator uid is ours, and whose semaphores were
// last touched by this very process (APR's SETVAL right after semget records our
// pid as GETPID, and no child exists yet to touch it before the next snapshot).
#pragma once

#include <sys/types.h>

#include <vector>

#include "kernel/sem_kernel.h"

namespace semguard {

struct Snapshot {
    std::vector<SetInfo> sets;  // sorted by semid
    bool ok = false;
    SysError error;
};

Snapshot take_snapshot(SemKernel& kernel);

// Sets present in `after` but not in `before`.
std::vector<SetInfo> appeared(const Snapshot& before, const Snapshot& after);

// Of `candidates`, those created by process `self` running as `euid`.
std::vector<SetInfo> created_by(SemKernel& kernel, const std::vector<SetInfo>& candidates,
                                pid_t self, uid_t euid);

// True when every semaphore of the set was last operated on by `pid` and the set
// was never locked (otime 0): the mark of a set made by that process and never used.
bool untouched_since_created_by(SemKernel& kernel, const SetInfo& set, pid_t pid);

}  // namespace semguard
