// The marks between hooks (issue #15): which sets each span of a pass made,
// found without listing the kernel's table.
// - Ordered (Linux 5.1 and later): a chain of creation cursors (sem_kernel.h).
//   Each mark takes a cursor and walks only the indices between it and the
//   previous one; what it finds there of the previous cursor's era is what was
//   made in between (and, rarely, an older set: the baseline below decides).
//   A chain starts just before the listing each pass begins with and runs to
//   the pass's end, which then needs no listing.
// - Otherwise, or when the chain breaks (the allocator wrapped, the cursor
//   failed, the table is within a margin of its limits): SEM_INFO and the
//   indices above the highest one seen; the proof is at take_mark. end_pass and
//   every listing close the segment of such marks before them (close_segment),
//   and a mark whose claim a removal may have fooled is not used (mark_holds).
//   A listing taken for a broken chain starts a new chain.
#pragma once

#include <sys/types.h>

#include <vector>

#include "kernel/sem_kernel.h"
#include "run/lifecycle.h"

namespace semguard {

// The start of a pass's marks, from `before` (less the sets this process
// knows were removed since it was listed). Ordered: the chain goes on. Else
// SEM_INFO of now; the table is listed again only when SEM_INFO disagrees.
void watch_from(RunMemory& mem, SemKernel& kernel);

// Starts the chain of cursors here (before a listing: a set made between the
// two is then in both). False where the kernel gives no cursor.
bool start_chain(RunMemory& mem, SemKernel& kernel);

// The proof of ownership (issue #10: no rule trusts a pid by itself). A set
// this process last touched is its own only if it was made while the process
// was alive, so that no other process had its pid meanwhile: it is not among
// the sets of a listing this process took before the pass made any
// (`baseline_ids`). The windows between cursors only find candidates: a
// window can hold an older set (an id forced through sem_next_id, or the
// sequence number gone all the way round), never one the baseline lacks.
void set_baseline(RunMemory& mem, const Snapshot& listing, pid_t self);
// The listing a pass begins with where the baseline is another process's
// (the real pass after httpd detached) or could be stale (a graceful
// restart): starts a new chain just before it, and sets the baseline.
Snapshot list_for_pass(RunMemory& mem, SemKernel& kernel, pid_t self);
// Of `sets`, those not in the baseline; none when the baseline is not `self`'s.
std::vector<SetInfo> after_baseline(const RunMemory& mem, const std::vector<SetInfo>& sets,
                                    pid_t self);

// One mark: the window since the previous cursor; else SEM_INFO and the
// indices above the highest one seen before; else a listing.
SpanMark take_mark(RunMemory& mem, SemKernel& kernel);

// The end of a pass: the sets made since `before`, by anyone (the baseline and
// the creator test then sort them). Ordered: the marks' sets and the last
// window's, without a listing. Otherwise one listing, which closes the
// segment of cheap marks.
struct PassEnd {
    bool ok = false;
    SysError error;             // when not ok
    std::vector<SetInfo> made;  // by anyone, sorted by semid
};
PassEnd take_end(RunMemory& mem, SemKernel& kernel, pid_t self, uid_t euid);

// A listing closes the segment of cheap marks since the previous listing, and
// voids them if a removal may have hidden a set of this process from them.
void close_segment(RunMemory& mem, SemKernel& kernel, const Snapshot& listing, pid_t self,
                   uid_t euid);

// Whether a mark's claim (the sets of its span) may be used.
bool mark_holds(const RunMemory& mem, const SpanMark& m);

}  // namespace semguard
