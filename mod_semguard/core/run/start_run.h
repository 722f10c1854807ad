// The first pass of a start: what the previous runs left is read (state file,
// parked records, and the records kept in this instance's anchor segments in
// the IPC namespace), reclaimed where provable, and a new run is begun with its
// own anchor. Called by begin_pass.
#pragma once

#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"
#include "log/logger.h"
#include "run/attribution.h"
#include "run/lifecycle.h"

namespace semguard {

Snapshot start_run(const PassInput& in, RunMemory& mem, SemKernel& kernel, RunProbe& probe,
                   Logger& log);

// SG0233: the state file at `path` holds `other` instance's record.
void warn_shared_state_file(const std::string& path, const InstanceIdentity& other, Logger& log);

}  // namespace semguard
