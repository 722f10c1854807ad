// The startup headroom check: kernel limits and current use against what this
// configuration pass will create, turned into the log lines an administrator
// reads during `apachectl start`.
#pragma once

#include <string>
#include <vector>

#include "mutex/mutex_config.h"
#include "mutex/mutex_knowledge.h"
#include "kernel/sem_kernel.h"
#include "headroom/headroom_state.h"

namespace semguard {

struct HeadroomInput {
    SemLimits limits;
    SemUsage usage;
    Projection need;
    std::vector<MutexConfig> mutexes;
    int warn_at_percent = 80;
    long held_by_own_stale_sets = 0;  // sets this server left behind and could not reclaim
    // Mechanisms APR offers here besides sysvsem, best first: "pthread" (robust
    // process-shared mutexes), "fcntl", "flock", "posixsem".
    std::vector<std::string> alternatives;
    // Processes that may hold SEM_UNDO entries at once (children + parent); only
    // used where the OS bounds undo structures (SemLimits::undo_enforced).
    long max_processes = 0;
    // Who holds the sets in use ("root: 3 sets, 3 semaphores (3 this server's); ..."),
    // appended to SG0110 and SG0111; "" when the sets could not be listed.
    std::string owners;
};

struct HeadroomVerdict {
    HeadroomState state = HeadroomState::Ok;
    bool uses_sysv = false;
    std::string summary;               // one line for SG0101 / SG0102
    std::string warning;               // SG0110, "" when below the threshold
    std::vector<std::string> failure;  // SG0111: what fails, the numbers, the hint
    std::string sysctl_line;           // sysctl -w kernel.sem="..." that gives room
};

HeadroomVerdict assess_headroom(const HeadroomInput& in);

// `sysctl -w kernel.sem="SEMMSL SEMMNS SEMOPM SEMMNI"` with the two enforced
// totals raised so that `needed_*` fill at most half of them.
std::string sysctl_line_for(const SemLimits& limits, long needed_arrays, long needed_semaphores);

// "sysvsem (mpm-accept, ssl-cache, rewrite-map); pthread (...)" for the summary.
std::string describe_mechanisms(const std::vector<MutexConfig>& mutexes);

}  // namespace semguard
