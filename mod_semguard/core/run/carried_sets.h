// What a new pass inherits from the passes before it: the recorded sets that
// still exist (carried_sets), those the last generation left behind although
// it ended (left_behind, the growth per graceful restart), and, when the module
// was enabled by a reload, the running server's sets it cannot vouch for.
#pragma once

#include <vector>

#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"
#include "run/lifecycle.h"

namespace semguard {

// Sets that survived into this pass although their generation (`previous`)
// ended: what its cleanups left behind, by module (or type).
std::vector<GrowthEntry> left_behind(const std::vector<RecordedSet>& carried, long previous);

// Enabled by a reload: the running server's sets, unrecorded and not `known`,
// last touched by this parent or one of its children. Probably its own;
// nothing proves it.
std::vector<int> sets_not_vouched_for(const Snapshot& live, SemKernel& kernel, RunProbe& probe,
                                      const std::vector<int>& known);

// Sets of earlier passes that still exist unchanged: the process-pool ones
// (ssl-cache) and any pconf set whose cleanup did not run.
std::vector<RecordedSet> carried_sets(const RunMemory& mem, SemKernel& kernel,
                                      const std::vector<MutexConfig>& mutexes,
                                      const ConfigFacts& facts);

}  // namespace semguard
