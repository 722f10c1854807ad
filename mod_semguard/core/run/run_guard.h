// The run's guard and the parent's end of a generation and of the run
// (implemented in run_guard.cc). All processes of a run share the anchor block,
// so a removal from outside is reported once, not by every child.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <vector>

#include "log/logger.h"
#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"

namespace semguard {

struct RunMemory;

// A graceful restart: before httpd's cleanups remove the generation's sets,
// name any recorded set that is already gone (removed from outside), so that a
// process-pool set (ssl-cache) removed while the server ran is not forgotten.
void retire_generation(RunMemory& mem, SemKernel& kernel, RunProbe& probe, Logger& log,
                       int64_t now);

// The parent exits (pre-cleanup, before httpd's own cleanups): name any set
// removed from outside, note whether every other process of the run is gone,
// write the Stopped record.
void parent_exit(RunMemory& mem, SemKernel& kernel, RunProbe& probe, Logger& log, int64_t now);

// The parent exits, after httpd's cleanups of the configuration pool: when
// parent_exit found no other process of the run, remove the recorded sets that
// those cleanups left behind (a module's mutex outside httpd's Mutex table),
// except process-pool types httpd removes itself a moment later. Returns how
// many were removed; logs one SG0231 naming modules and counts.
long sweep_at_stop(RunMemory& mem, SemKernel& kernel, Logger& log, int64_t now);

struct ChildIdentity {
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;
};

// Checks, in a child after it dropped privileges, that every recorded set of its
// generation still exists, is the same set, and is usable by it. A set the
// parent keeps for itself (its recorded owner and mode never granted this child
// access) is not a problem. Changes nothing. Returns the number of problems
// found (logged once per run through the anchor).
int child_check(const RunMemory& mem, SemKernel& kernel, RunProbe& probe, const ChildIdentity& who,
                Logger& log, int64_t now, bool at_exit);

// True when the recorded identity of a set never granted `who` read and alter
// access: a set the parent keeps for itself.
bool parent_only_for(const SetInfo& recorded, const ChildIdentity& who);

}  // namespace semguard
