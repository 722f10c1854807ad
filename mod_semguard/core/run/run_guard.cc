#include "run/lifecycle.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>

#include "run/anchor_block.h"
#include "log/messages.h"
#include "record/state_file.h"

// The run's guard: children check their generation's sets, and the parent
// names any removal from outside when it exits. All processes of a run share
// the anchor block, so a removal is reported once, not by every child.

namespace semguard {

void retire_generation(RunMemory& mem) {
    if (AnchorBlock* b = anchor_block(mem.anchor)) b->retiring.store(1);
}

namespace {

struct Problem {
    RecordedSet set;
    std::string what;  // "removed", "replaced by another set", "not usable: ..."
    bool removal = true;
};

bool grants(unsigned mode, unsigned shift) {
    // httpd locks and unlocks: it needs read and alter permission.
    return ((mode >> shift) & 06) == 06;
}

std::string usable_by(const SetInfo& s, const ChildIdentity& who) {
    if (who.uid == 0) return "";
    unsigned shift = 0;
    if (who.uid == s.uid || who.uid == s.cuid) {
        shift = 6;
    } else if (who.gid == s.gid || who.gid == s.cgid ||
               std::find(who.groups.begin(), who.groups.end(), s.gid) != who.groups.end() ||
               std::find(who.groups.begin(), who.groups.end(), s.cgid) != who.groups.end()) {
        shift = 3;
    }
    if (grants(s.mode, shift)) return "";
    char mode[8];
    std::snprintf(mode, sizeof mode, "%03o", s.mode);
    return "mode " + std::string(mode) + " with owner " + std::to_string(s.uid) + ":" +
           std::to_string(s.gid) + " gives uid " + std::to_string(who.uid) + " no read and alter access";
}

std::vector<Problem> find_problems(const Record& record, SemKernel& kernel,
                                   const ChildIdentity* who) {
    std::vector<Problem> out;
    for (const auto& rec : record.sets) {
        auto now = kernel.stat_set(rec.identity.semid);
        if (!now) {
            const int e = now.error().code;
            if (e == EINVAL || e == EIDRM) out.push_back({rec, "removed", true});
            else if (e == EACCES && who) out.push_back({rec, "not readable by this child", false});
            continue;
        }
        if (!same_set(rec.identity, now.value())) {
            // Same id, creator and size, a newer ctime: the set is still there,
            // re-owned or re-moded from outside (IPC_SET). Not a removal; it
            // matters only if a child can no longer use it.
            if (now->key == rec.identity.key && now->cuid == rec.identity.cuid &&
                now->cgid == rec.identity.cgid && now->nsems == rec.identity.nsems &&
                now->ctime >= rec.identity.ctime) {
                if (who) {
                    if (std::string why = usable_by(now.value(), *who); !why.empty())
                        out.push_back({rec, "changed from outside: " + why, false});
                }
                continue;
            }
            out.push_back({rec, "replaced by another set", true});
            continue;
        }
        if (who) {
            if (std::string why = usable_by(now.value(), *who); !why.empty())
                out.push_back({rec, "not usable: " + why, false});
        }
    }
    return out;
}

std::string problem_list(const std::vector<Problem>& problems) {
    std::string out;
    for (const auto& p : problems)
        out += (out.empty() ? "" : "; ") + std::string("set ") + describe_set(p.set) + " " + p.what;
    return out;
}

const char* kRemovalAdvice =
    ". Likely causes: a cleanup script (`ipcs -s | grep ... | ipcrm`), systemd's RemoveIPC= "
    "for User's unit, or logind's RemoveIPC=yes. The server will stop serving; stop the "
    "cleanup, set RemoveIPC=no, consider SemGuardProtect On, and restart httpd";

}  // namespace

int child_check(const RunMemory& mem, SemKernel& kernel, const ChildIdentity& who, Logger& log,
                int64_t now, bool at_exit) {
    AnchorBlock* b = anchor_block(mem.anchor);
    auto generation_current = [&] {
        return !b || (b->live_generation.load() == mem.record.generation && b->retiring.load() == 0);
    };
    if (!mem.started || !generation_current()) return 0;
    std::vector<Problem> problems = find_problems(mem.record, kernel, at_exit ? nullptr : &who);
    // The parent may have begun a restart meanwhile: then the sets went away legitimately.
    if (problems.empty() || !generation_current()) return 0;

    std::vector<Problem> removals, unusable;
    for (auto& p : problems) (p.removal ? removals : unusable).push_back(p);
    bool report_removal = !removals.empty();
    if (b && report_removal) {
        report_removal = false;
        for (const auto& p : removals)
            report_removal |= anchor_note_removal(*b, p.set.identity.semid, now);
    }
    if (report_removal)
        log.log(Level::Emerg, tag::kSetRemoved,
                "semaphore set(s) of this server changed from outside while it runs: " +
                    problem_list(removals) + kRemovalAdvice);
    uint32_t expected = 0;
    if (!unusable.empty() && (!b || b->unusable_reported.compare_exchange_strong(expected, 1)))
        log.log(Level::Emerg, tag::kSetUnusable,
                "a child (uid " + std::to_string(who.uid) + ") cannot use the server's "
                "semaphore set(s): " + problem_list(unusable) +
                    ". Something changed their owner or mode from outside; restart httpd");
    return static_cast<int>(problems.size());
}

void parent_exit(RunMemory& mem, SemKernel& kernel, RunProbe& probe, Logger& log, int64_t now) {
    if (!mem.started || mem.record.run.parent_pid != probe.self_pid()) return;
    if (probe.effective_uid() != mem.record.run.euid) {
        // One-process mode (apache2 -X) serves as User in the parent itself: it
        // can no longer write root's record or remove the anchor. The next
        // start finds the run over and cleans up; nothing to warn about here,
        // so no tag: SG0206 is the warning that a crash could not be reclaimed.
        log.log(Level::Info, "",
                "one-process mode: exiting as uid " + std::to_string(probe.effective_uid()) +
                    ", the record is left for the next start");
        return;
    }
    AnchorBlock* b = anchor_block(mem.anchor);
    // Before httpd's own cleanups remove the sets: anything missing now was
    // removed by someone else.
    std::vector<Problem> removals = find_problems(mem.record, kernel, nullptr);
    bool report = !removals.empty();
    if (b && report) {
        report = false;
        for (const auto& p : removals) report |= anchor_note_removal(*b, p.set.identity.semid, now);
    }
    if (report)
        log.log(Level::Emerg, tag::kSetRemoved,
                "semaphore set(s) of this server were removed from outside while it ran: " +
                    problem_list(removals) + kRemovalAdvice);

    std::vector<int> removed_ids;
    for (const auto& p : removals) removed_ids.push_back(p.set.identity.semid);
    if (b) {
        const uint32_t n = std::min<uint32_t>(b->removal_count.load(), kAnchorMaxRemovals);
        for (uint32_t i = 0; i < n; ++i) {
            const int id = b->removed_semids[i].load();
            if (std::find(removed_ids.begin(), removed_ids.end(), id) == removed_ids.end())
                removed_ids.push_back(id);
        }
        b->retiring.store(1);
    }
    for (int id : removed_ids) {
        OutsideRemoval r;
        r.semid = id;
        r.detected_at = b && b->removal_detected_at.load() ? b->removal_detected_at.load() : now;
        for (const auto& s : mem.record.sets)
            if (s.identity.semid == id) r.type = s.type;
        mem.record.removed_outside.push_back(r);
    }
    mem.record.phase = RunPhase::Stopped;
    mem.record.written_at = now;
    save_record(mem, log);
    if (mem.record.run.anchor_shmid >= 0) {
        // Destroyed once the last child detaches; nothing is left behind.
        (void)probe.remove_anchor(mem.record.run.anchor_shmid);
    }
}

}  // namespace semguard

