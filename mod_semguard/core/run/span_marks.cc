#include "run/span_marks.h"

#include <algorithm>
#include <optional>

#include "run/attribution.h"

namespace semguard {

namespace {

long semaphores_in(const std::vector<SetInfo>& sets) {
    long n = 0;
    for (const auto& s : sets) n += static_cast<long>(s.nsems);
    return n;
}

bool has_id(const std::vector<SetInfo>& sorted, int semid) {
    auto it = std::lower_bound(sorted.begin(), sorted.end(), semid,
                               [](const SetInfo& s, int id) { return s.semid < id; });
    return it != sorted.end() && it->semid == semid;
}

bool by_id(const SetInfo& a, const SetInfo& b) { return a.semid < b.semid; }

// Adds `more` (any order) to `sorted`: one merge, not an insert (and a move
// of every later entry) per set.
void add_known(std::vector<SetInfo>& sorted, const std::vector<SetInfo>& more) {
    const auto middle = static_cast<std::ptrdiff_t>(sorted.size());
    for (const auto& s : more)
        if (!has_id(sorted, s.semid)) sorted.push_back(s);
    if (static_cast<std::ptrdiff_t>(sorted.size()) == middle) return;
    std::sort(sorted.begin() + middle, sorted.end(), by_id);
    std::inplace_merge(sorted.begin(), sorted.begin() + middle, sorted.end(), by_id);
}

// The sets known to exist since the last listing (`before`, or the last mark
// that listed the table), with those the cheap marks found since.
Snapshot known_in_segment(const RunMemory& mem) {
    Snapshot known = mem.segment == 0 ? mem.before : mem.segment_base;
    auto add = [&](const SpanMark& m) {
        if (m.ok && !m.listed && m.segment == mem.segment) add_known(known.sets, m.fresh);
    };
    add(mem.after_mpm);
    for (const auto& m : mem.span_marks) add(m);
    return known;
}

// A cursor costs a creation: below this many free sets or semaphores none is
// taken, so that its probe set never holds the slot another program is
// creating into. Near the limits the marks list instead.
constexpr long kCursorMargin = 8;

std::optional<CreationCursor> cursor_now(SemKernel& kernel) {
    auto limits = kernel.limits();
    auto use = kernel.usage();
    if (!limits || !use) return std::nullopt;
    if (limits->semmni - use->arrays < kCursorMargin ||
        limits->semmns - use->semaphores < kCursorMargin)
        return std::nullopt;
    auto cursor = kernel.creation_cursor();
    if (!cursor) return std::nullopt;
    return cursor.value();
}

void sort_by_id(std::vector<SetInfo>& sets) { std::sort(sets.begin(), sets.end(), by_id); }

// The sets made since the chain's last cursor, and the chain moved on; nullopt
// when the chain breaks here (the caller lists). Of one era, sets were made in
// index order, so every set made between the two cursors lies at an index
// between theirs and is of their era; a set of another era found there was
// made earlier, and is left out. An older set can still be of this era (an
// id forced through sem_next_id, or a full cycle of the sequence number ago):
// the windows only find candidates, the baseline decides (after_baseline).
std::optional<std::vector<SetInfo>> window_since(RunMemory& mem, SemKernel& kernel) {
    auto now = cursor_now(kernel);
    if (!now || now->era != mem.cursor.era || now->index <= mem.cursor.index) return std::nullopt;
    auto between = kernel.list_sets_between(mem.cursor.index + 1, now->index - 1);
    if (!between) return std::nullopt;
    std::vector<SetInfo> fresh;
    for (auto& s : between.value())
        if (s.semid - s.index == mem.cursor.era) fresh.push_back(std::move(s));
    sort_by_id(fresh);
    mem.cursor = *now;
    return fresh;
}

}  // namespace

// Two cursors in a row show whether the kernel allocates cyclically: the
// second is of the same era one index further on. Linux before 5.1 gives the
// same index (the probe's, freed) in the next era; such a kernel never starts
// a chain, and its marks work as without cursors. Right at a wrap the two
// differ too, and the chain starts at the next listing instead.
bool start_chain(RunMemory& mem, SemKernel& kernel) {
    mem.ordered = false;
    auto first = cursor_now(kernel);
    if (!first) return false;
    auto second = cursor_now(kernel);
    if (!second || second->era != first->era || second->index <= first->index) return false;
    mem.cursor = *second;
    mem.ordered = true;
    return true;
}

// A listing closes the segment of cheap marks since the previous one. A mark
// was fooled only if a set known then was removed (missing now) and a set made
// in its span lies at or below the highest index it saw, where no mark looked:
// if such a set is this process's, new since the segment's start and found by
// no mark, those marks' claims are not used. Another program's set found by no
// mark changes nothing of ours: it is never recorded.
void close_segment(RunMemory& mem, SemKernel& kernel, const Snapshot& listing, pid_t self,
                   uid_t euid) {
    if (!mem.watching) return;  // no cheap mark since the last listing
    const Snapshot known = known_in_segment(mem);
    const bool removed = std::any_of(known.sets.begin(), known.sets.end(), [&](const SetInfo& s) {
        return !has_id(listing.sets, s.semid);
    });
    if (!removed) return;
    std::vector<SetInfo> unseen;
    for (const auto& s : appeared(known, listing))
        if (s.index < 0 || s.index <= mem.watched.highest_index) unseen.push_back(s);
    if (!created_by(kernel, unseen, self, euid).empty()) mem.void_segments.push_back(mem.segment);
}

bool mark_holds(const RunMemory& mem, const SpanMark& m) {
    if (!m.ok) return false;
    if (m.listed) return true;
    return std::find(mem.void_segments.begin(), mem.void_segments.end(), m.segment) ==
           mem.void_segments.end();
}

// The start of the marks (see mark_span): `before` as it is now, the sets
// this process knows were removed since it was listed already dropped
// (begin_pass). Ordered, the chain of cursors goes on. Otherwise SEM_INFO of
// this moment: the cheap marks need `before` to be exactly what exists; when
// SEM_INFO's counts say otherwise (other programs made or removed sets
// since), the table is listed again, once.
void watch_from(RunMemory& mem, SemKernel& kernel) {
    mem.watching = false;
    mem.after_mpm = SpanMark{};
    mem.span_marks.clear();
    mem.segment = 0;
    mem.segment_base = Snapshot{};
    mem.void_segments.clear();
    if (!mem.before.ok) return;
    auto& sets = mem.before.sets;
    // The chain goes on from the previous pass's end, or from the listing
    // this pass began with (begin_pass).
    if (mem.ordered) return;
    auto now = kernel.usage();
    if (now && now->arrays == static_cast<long>(sets.size()) &&
        now->semaphores == semaphores_in(sets)) {
        mem.watched = now.value();
        mem.watching = true;
        return;
    }
    auto seen = kernel.usage();
    Snapshot relisted = take_snapshot(kernel);
    if (!seen || !relisted.ok) return;  // every mark then fails: one span, as without marks
    mem.before = std::move(relisted);
    mem.watched = seen.value();
    mem.watching = true;
}

// One mark. Why no listing is needed: at the previous mark SEM_INFO reported
// the highest index in use, so every set now at a higher index was made since.
// If those are exactly as many sets (and semaphores) as SEM_INFO's counts grew
// by, then either no set was made below that index, or as many sets that
// existed at the previous mark were removed meanwhile, and such a removal is
// seen at the next listing (end_pass's, or a mark's): a set known since the
// listing before is missing from it, and then the cheap marks between the two
// listings are not used (their spans merge into the next). A second
// SEM_INFO after the walk catches changes during it. When the figures do not
// add up, the mark lists the table: the sets not known before are the new ones.
SpanMark take_mark(RunMemory& mem, SemKernel& kernel) {
    SpanMark mark;
    if (!mem.before.ok) return mark;
    if (mem.ordered) {
        if (auto fresh = window_since(mem, kernel)) {
            mark.ok = true;
            mark.fresh = std::move(*fresh);
            mark.segment = mem.segment;
            return mark;
        }
        // The chain broke: the listing below starts a new one.
    } else if (mem.watching) {
        // A kernel call that fails makes the mark fail (its span merges into the
        // next one, whose mark starts from the same figures); only figures that
        // do not add up make it list the table.
        auto now = kernel.usage();
        if (!now) return mark;
        std::vector<SetInfo> fresh;
        if (now->highest_index > mem.watched.highest_index) {
            auto above =
                kernel.list_sets_between(mem.watched.highest_index + 1, now->highest_index);
            if (!above) return mark;
            fresh = std::move(above.value());
        }
        auto again = kernel.usage();
        if (!again) return mark;
        if (again->arrays == now->arrays && again->semaphores == now->semaphores &&
            again->highest_index == now->highest_index &&
            static_cast<long>(fresh.size()) == now->arrays - mem.watched.arrays &&
            semaphores_in(fresh) == now->semaphores - mem.watched.semaphores) {
            mark.ok = true;
            mark.fresh = std::move(fresh);
            mark.segment = mem.segment;
            mem.watched = now.value();
            return mark;
        }
    }
    // The listing tells what is new since the previous mark, exactly: a set that
    // a fooled cheap mark of this segment missed is new here, and that mark,
    // voided by close_segment, merges its span into this one.
    // An ordered chain's known sets are exact up to its last cursor, so the
    // same holds after a broken chain. The new chain starts before the listing.
    const Snapshot known = known_in_segment(mem);
    const bool was_ordered = mem.ordered;
    const CreationCursor was_cursor = mem.cursor;
    const bool chained = start_chain(mem, kernel);
    auto seen = kernel.usage();
    Snapshot listed = take_snapshot(kernel);
    if (!seen || !listed.ok) {  // merges into the next span, from the same point
        mem.ordered = was_ordered;
        mem.cursor = was_cursor;
        return mark;
    }
    close_segment(mem, kernel, listed, mem.record.run.parent_pid, mem.record.run.euid);
    mark.ok = true;
    mark.listed = true;
    mark.fresh = appeared(known, listed);
    mem.watched = seen.value();
    mem.watching = !chained;
    ++mem.segment;
    mem.segment_base = std::move(listed);
    return mark;
}

void set_baseline(RunMemory& mem, const Snapshot& listing, pid_t self) {
    mem.baseline_ids.clear();
    mem.baseline_ids.reserve(listing.sets.size());
    for (const auto& s : listing.sets) mem.baseline_ids.push_back(s.semid);  // sorted by semid
    mem.baseline_pid = self;
}

Snapshot list_for_pass(RunMemory& mem, SemKernel& kernel, pid_t self) {
    start_chain(mem, kernel);  // before the listing: a set made in between is in both
    Snapshot listed = take_snapshot(kernel);
    if (listed.ok) set_baseline(mem, listed, self);
    return listed;
}

std::vector<SetInfo> after_baseline(const RunMemory& mem, const std::vector<SetInfo>& sets,
                                    pid_t self) {
    std::vector<SetInfo> out;
    if (mem.baseline_pid != self) return out;
    for (const auto& s : sets)
        if (!std::binary_search(mem.baseline_ids.begin(), mem.baseline_ids.end(), s.semid))
            out.push_back(s);
    return out;
}

PassEnd take_end(RunMemory& mem, SemKernel& kernel, pid_t self, uid_t euid) {
    // `before` is not brought up to date: every pass but the preflight begins
    // with a listing of its own (begin_pass), and no one reads it in between.
    PassEnd end;
    if (mem.ordered && mem.before.ok) {
        if (auto last = window_since(mem, kernel)) {
            // Every set made since the pass began is in one of the marks'
            // windows or listings, or in this last window (a mark that failed
            // left its range to the next one). Not checked against `before`:
            // what this process may claim is decided against its baseline.
            auto take = [&](const std::vector<SetInfo>& fresh) {
                end.made.insert(end.made.end(), fresh.begin(), fresh.end());
            };
            if (mem.after_mpm.ok) take(mem.after_mpm.fresh);
            for (const auto& m : mem.span_marks)
                if (m.ok) take(m.fresh);
            take(*last);
            sort_by_id(end.made);
            end.made.erase(
                std::unique(end.made.begin(), end.made.end(),
                            [](const SetInfo& a, const SetInfo& b) { return a.semid == b.semid; }),
                end.made.end());
            end.ok = true;
            return end;
        }
    }
    Snapshot after = take_snapshot(kernel);
    if (!after.ok || !mem.before.ok) {
        end.error = !after.ok ? after.error : mem.before.error;
        return end;
    }
    close_segment(mem, kernel, after, self, euid);
    end.made = appeared(mem.before, after);
    end.ok = true;
    return end;
}

}  // namespace semguard
