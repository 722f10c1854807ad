// Which of the kernel's two ways to list the semaphore table costs less on the
// running kernel (issue #15). Neither wins everywhere: measured on 30,000 sets,
// reading /proc/sysvipc/sem cost 0.38x the SEM_STAT_ANY loop on one kernel
// (6.18 v1045: a system call cost 1.4 us) and 2.0x on another (v1252: 0.57 us a
// call, and the kernel's vsnprintf for the file's lines dominates). So a large
// listing starts with a sample of each (both samples are the start of a real
// listing: the one that wins goes on from there) and this chooses.
//
// Only time is at stake: both ways list the same sets (the contract suite holds
// them field for field), so a sample that a preemption spoils costs at most the
// difference, never a set.
#pragma once

#include <cstdint>

#include "kernel/walk_sample.h"

namespace semguard {

// Tables smaller than this are read from the file without samples: they cost
// microseconds either way, and the samples would be most of the listing.
constexpr long kSampleListingFrom = 1024;
// Indices the walk's sample covers (about 70 to 180 us), in two halves, and the
// size of each of the two reads the file's sample makes (a page: about 45
// lines, 25 to 55 us). Each way is judged by its faster half: the first calls
// of a process pay for cold caches and page faults that the rest does not.
constexpr int kWalkSampleIndices = SEMGUARD_WALK_SAMPLE_INDICES;
constexpr long kProcSampleBytes = 4096;

// What a sample cost: `units` indices walked or lines read in `nanoseconds`.
struct ListingSample {
    int64_t nanoseconds = 0;
    long units = 0;
};

enum class ListingWay { Proc, Walk };

// Of two parts of one sample, the one with the lower cost per unit (a part
// with no units says nothing).
ListingSample faster_part(const ListingSample& a, const ListingSample& b);

// The way whose rest costs less, each rest estimated at its sample's rate:
// the walk's rest is `walk_rest` more indices (every index up to the highest in
// use, holes included: each is a system call), the file's `proc_rest` more
// lines (one per set). A sample with no units says nothing: the file then
// (the default way), unless only the walk's sample says something.
ListingWay cheaper_rest(const ListingSample& walk, long walk_rest, const ListingSample& proc,
                        long proc_rest);

}  // namespace semguard
