// What happened at this start (reclaimed, kept, look-alike sets), kept by the
// run (RunMemory::startup) and shown by the status page.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace semguard {

struct ReclaimedView {
    int semid = -1;
    std::string type;
    pid_t old_parent_pid = 0;
};

struct KeptView {
    int semid = -1;
    std::string type;
    std::string reason;
};

struct StartupView {
    std::string mode;     // "on", "off", "dryrun"
    std::string summary;  // one sentence about what happened at this start
    std::vector<ReclaimedView> reclaimed;
    std::vector<ReclaimedView> would_reclaim;  // DryRun
    std::vector<KeptView> kept;
    std::vector<int> lookalikes;   // semids that look like httpd's but are not ours
    std::vector<int> unvouched;    // enabled by a reload: sets not vouched for
    std::string post_mortem;       // how the previous run ended, "" if it ended cleanly
    uint64_t reclaimed_total = 0;  // since this parent started
    uint64_t kept_total = 0;
    uint64_t ipc_namespace = 0;  // inode of /proc/self/ns/ipc the sets' ids belong to (0: unknown)
};

}  // namespace semguard
