// Reclaim: remove this instance's own semaphore sets left by a previous run that
// is provably over, and nothing else. Every removal needs three proofs:
//   (a) no process of the run is alive: its anchor segment, which every process
//       of the run inherited by fork, no longer exists, or exists unchanged
//       (creator, creator uid, ctime as recorded) with no attachment. A pid
//       never proves anything; a running parent only holds a removal back;
//   (b) the set is the run's: named in its record, or noted in its anchor by
//       the parent as it created it (a pass killed before its record);
//   (c) the set is still the one recorded: same id, key, owners, mode, size, ctime,
//       and nobody is waiting on or holding it.
// Anything short of that keeps the set and says why.
#pragma once

#include <sys/types.h>

#include <string>
#include <utility>
#include <vector>

#include "log/logger.h"
#include "record/record.h"
#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"

namespace semguard {

enum class ReclaimMode { On, Off, DryRun };
const char* to_string(ReclaimMode mode);

struct ReclaimSettings {
    ReclaimMode mode = ReclaimMode::On;
    InstanceIdentity self;           // this server; a record of another instance is refused
    bool report_post_mortem = true;  // SG0303 when the run proves over and did not stop cleanly
    std::string record_path;         // where the record was read, for messages
};

struct KeptSet {
    RecordedSet set;
    std::string reason;
};

struct ReclaimOutcome {
    bool run_over = false;
    std::string run_verdict;  // why the previous run is (not) over
    std::vector<RecordedSet> removed;
    std::vector<RecordedSet> would_remove;  // DryRun
    std::vector<KeptSet> kept;
    std::vector<RecordedSet> missing;  // recorded, gone before we looked
    std::vector<SetInfo> unproven;     // maybe the dead pass's, not provably: kept (SG0211)
    std::string post_mortem;           // "" when the previous run stopped cleanly
    bool anchor_removed = false;
};

// `previous` is the decoded state file; `live` the current sets (a snapshot).
ReclaimOutcome reclaim_previous_run(SemKernel& kernel, RunProbe& probe, const Record& previous,
                                    const std::vector<SetInfo>& live,
                                    const ReclaimSettings& settings, Logger& log);

// Sets that look like httpd's (IPC_PRIVATE, one semaphore, mode 600, owned by
// User) but are not in `ours`; listed once so the administrator can check them.
std::vector<SetInfo> find_lookalikes(const std::vector<SetInfo>& live, uid_t httpd_uid,
                                     const std::vector<int>& ours);

std::string describe_set(const RecordedSet& set);  // "98304 (mpm-accept)" or "98304 (type unknown)"

}  // namespace semguard
