// The small block of shared memory at the start of the anchor segment. Every
// process of a run inherits the mapping by fork, so the parent and all children
// can coordinate through it without files or locks: which generation's sets are
// valid, whether the parent is retiring them itself, and whether a removal from
// outside has already been reported (so only one process says it).
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace semguard {

constexpr uint32_t kAnchorMagic = 0x53474131;  // "SGA1"
constexpr int kAnchorMaxRemovals = 16;
constexpr int kAnchorMaxNoted = 64;

// A set the parent saw itself create in the current pass, noted while it was
// alive (so its pid was its own): the one proof that a set a killed pass did
// not live to record is the run's. semid and ctime name it exactly.
struct AnchorNote {
    std::atomic<int32_t> semid;
    std::atomic<int64_t> ctime;
};

struct AnchorBlock {
    uint32_t magic;
    uint32_t size;                            // sizeof(AnchorBlock) of the writer
    char instance[17];                        // InstanceIdentity::digest(), NUL-terminated
    std::atomic<int64_t> live_generation;     // whose recorded sets must exist
    std::atomic<uint32_t> retiring;           // the parent is removing them itself
    std::atomic<uint32_t> removal_reported;   // a report claim (anchor_claim_report)
    std::atomic<uint32_t> unusable_reported;  // a report claim (anchor_claim_report)
    std::atomic<uint32_t> removal_count;      // entries used in removed_semids
    std::atomic<int32_t> removed_semids[kAnchorMaxRemovals];
    std::atomic<int64_t> removal_detected_at;
    std::atomic<int64_t> noted_generation;  // the pass whose sets are noted
    std::atomic<uint32_t> noted_count;      // entries used in noted
    AnchorNote noted[kAnchorMaxNoted];
    // The record, kept in the IPC namespace with the sets it describes (see
    // anchor_home.h): two slots written in turn, record_slot names the
    // complete one (1 or 2; 0: none yet), record_bytes its length.
    std::atomic<uint32_t> record_slot;
    std::atomic<uint32_t> record_bytes[2];
    std::atomic<uint64_t> ipc_namespace;  // inode of the writer's /proc/self/ns/ipc
    // One-process mode (apache2 -X): the parent reached its clean exit, but as
    // User it can write neither root's state file nor the Stopped record. Only
    // the post-mortem reads it; removals are decided by attachments alone.
    std::atomic<uint32_t> one_process_exit;
};

static_assert(std::atomic<int64_t>::is_always_lock_free, "shared atomics must be lock-free");
static_assert(std::atomic<uint32_t>::is_always_lock_free, "shared atomics must be lock-free");

// Initialise a fresh block in place (the segment arrives zero-filled).
void anchor_init(void* memory, int64_t generation, const std::string& instance_digest = "");

// The block at `memory`, or nullptr if it is not one of ours. `bytes` bounds
// the read where the memory is a copy.
AnchorBlock* anchor_block(void* memory);
const AnchorBlock* anchor_block(const void* memory);

// The semids the run's processes found removed from outside, from a copy of a
// dead run's block; empty if the copy is not a block of ours.
std::vector<int> anchor_removals(const std::vector<unsigned char>& copy);
// True when the copy is a block of the instance with this digest.
bool anchor_of_instance(const std::vector<unsigned char>& copy, const std::string& digest);

// True when a copy of a dead run's block says its one-process parent exited
// cleanly (see AnchorBlock::one_process_exit); false if not ours.
bool anchor_one_process_exit(const std::vector<unsigned char>& copy);

// Start noting the sets of a new pass (forgets the previous pass's notes).
void anchor_begin_notes(AnchorBlock& block, int64_t generation);
// Note a set the parent created in this pass; false when the table is full.
bool anchor_note_set(AnchorBlock& block, int semid, int64_t ctime);
struct NotedSet {
    int semid = -1;
    int64_t ctime = 0;
};
// The noted sets of a dead run's block, from a copy; empty if not ours.
std::vector<NotedSet> anchor_noted_sets(const std::vector<unsigned char>& copy);

// Note a removal from outside (the semid, and the time of the first detection).
void anchor_note_removal(AnchorBlock& block, int semid, int64_t now);

// Once-per-run reports (SG0301, SG0302) that survive the reporter's death. A
// claim holds 0 (unclaimed), the pid of the process writing the report, or
// kReportWritten. Claiming and writing are two steps, and a child can be
// killed between them (killing every child is what an operator does when they
// misbehave, and a child that cannot lock exits on its own): a later process
// takes over a claim whose holder is gone, so the line is not lost for the
// rest of the run. `holder_alive` says whether a pid is still a live process.
constexpr uint32_t kReportWritten = 0xFFFFFFFFu;
bool anchor_claim_report(std::atomic<uint32_t>& claim, pid_t self,
                         const std::function<bool(pid_t)>& holder_alive);
// The claimed report is written: nobody takes it over any more.
void anchor_report_written(std::atomic<uint32_t>& claim);

}  // namespace semguard
