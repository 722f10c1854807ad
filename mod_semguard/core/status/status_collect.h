// Gathers the status page's model at request time: the run's record and what
// happened at this start from RunMemory, live values from the kernel (a few
// system calls per set), and the server's description from the glue.
#pragma once

#include <sys/types.h>

#include <string>

#include "run/lifecycle.h"
#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"
#include "status/status_model.h"

namespace semguard {

struct ServerDescription {
    std::string server_version;
    std::string server_name;
    std::string mpm;
    long generation = 0;
    int64_t now = 0;
};

class OwnerCache;

// `owners`: the process's cache of the owner breakdown (status/owner_cache.h);
// nullptr lists every set of the host for this one model.
StatusModel collect_status(const RunMemory& mem, SemKernel& kernel, RunProbe& probe,
                           const ServerDescription& server, OwnerCache* owners = nullptr);

// Headroom of the running server: use against SemGuardWarnAt, nothing projected.
HeadroomState live_headroom(const SemLimits& limits, const SemUsage& usage, int warn_at_percent);

}  // namespace semguard
