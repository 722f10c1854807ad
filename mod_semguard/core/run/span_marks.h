// The marks between hooks (issue #15): which sets each span of a pass made,
// found without listing the kernel's table where SEM_INFO proves it needless.
// The proof of a cheap mark is at take_mark; end_pass and every listing close
// the segment of cheap marks before them (close_segment), and a mark whose
// claim a removal may have fooled is not used (mark_holds).
#pragma once

#include <sys/types.h>

#include <vector>

#include "kernel/sem_kernel.h"
#include "run/lifecycle.h"

namespace semguard {

// The start of a pass's chain of marks: `before` less the sets this process
// knows were removed since it was listed (`gone`), and SEM_INFO of now; lists
// the table again only when SEM_INFO disagrees with that.
void watch_from(RunMemory& mem, SemKernel& kernel, const std::vector<int>& gone);

// One mark: SEM_INFO and the indices above the highest one seen before, or a
// listing when the figures do not add up.
SpanMark take_mark(RunMemory& mem, SemKernel& kernel);

// A listing closes the segment of cheap marks since the previous listing, and
// voids them if a removal may have hidden a set of this process from them.
void close_segment(RunMemory& mem, SemKernel& kernel, const Snapshot& listing, pid_t self,
                   uid_t euid);

// Whether a mark's claim (the sets of its span) may be used.
bool mark_holds(const RunMemory& mem, const SpanMark& m);

}  // namespace semguard
