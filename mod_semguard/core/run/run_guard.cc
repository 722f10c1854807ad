#include "run/run_guard.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <functional>

#include "run/anchor_block.h"
#include "run/lifecycle.h"
#include "log/messages.h"
#include "record/state_file.h"

// The run's guard: children check their generation's sets, and the parent
// names any removal from outside when a generation or the run ends. All
// processes of a run share the anchor block, so a removal is reported once.

namespace semguard {

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
           std::to_string(s.gid) + " gives uid " + std::to_string(who.uid) +
           " no read and alter access";
}

std::vector<Problem> find_problems(const Record& record, SemKernel& kernel,
                                   const ChildIdentity* who) {
    std::vector<Problem> out;
    for (const auto& rec : record.sets) {
        // Never handed to children: a child can neither see nor use it, by design.
        const bool parent_only = who && parent_only_for(rec.identity, *who);
        auto now = kernel.stat_set(rec.identity.semid);
        if (!now) {
            const int e = now.error().code;
            if (e == EINVAL || e == EIDRM)
                out.push_back({rec, "removed", true});
            else if (e == EACCES && who && !parent_only)
                out.push_back({rec, "not readable by this child", false});
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
        if (who && !parent_only) {
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

// The process writing a once-per-run report, and how it tells whether an
// earlier claimant still lives (anchor_claim_report). A zombie never writes.
struct Reporter {
    pid_t self;
    std::function<bool(pid_t)> alive;
};

Reporter reporter(RunProbe& probe) {
    return {probe.self_pid(), [&probe](pid_t pid) {
                auto p = probe.process(pid);
                // Unknown counts as alive: a report may be lost, never doubled.
                return !p || p.value().state == ProcessState::Running;
            }};
}

// Claims the report on `claim` (the anchor's), or always reports without one.
bool claim(AnchorBlock* b, std::atomic<uint32_t> AnchorBlock::*claim, const Reporter& who) {
    return !b || anchor_claim_report(b->*claim, who.self, who.alive);
}

void written(AnchorBlock* b, std::atomic<uint32_t> AnchorBlock::*claim) {
    if (b) anchor_report_written(b->*claim);
}

// The one SG0301: removals from outside, noticed `when` ("while it runs", ...).
// Reported once per run across its processes through the anchor block.
void report_removals(AnchorBlock* b, const std::vector<Problem>& removals, const std::string& when,
                     const std::string& consequence, Logger& log, int64_t now,
                     const Reporter& who) {
    if (removals.empty()) return;
    if (b)
        for (const auto& p : removals) anchor_note_removal(*b, p.set.identity.semid, now);
    if (!claim(b, &AnchorBlock::removal_reported, who)) return;
    log.log(Level::Emerg, tag::kSetRemoved,
            "semaphore set(s) of this server " + when + ": " + problem_list(removals) +
                ". Likely causes: a cleanup script (`ipcs -s | grep ... | ipcrm`), systemd's "
                "RemoveIPC= for User's unit, or logind's RemoveIPC=yes. " +
                consequence + " Stop the cleanup, set RemoveIPC=no, consider SemGuardProtect On");
    written(b, &AnchorBlock::removal_reported);
}

// Adds the removals (found now, and noted by any process in the anchor) to the record.
void note_in_record(RunMemory& mem, AnchorBlock* b, const std::vector<Problem>& removals,
                    int64_t now) {
    std::vector<int> removed_ids;
    for (const auto& p : removals) removed_ids.push_back(p.set.identity.semid);
    if (b) {
        const uint32_t n = std::min<uint32_t>(b->removal_count.load(), kAnchorMaxRemovals);
        for (uint32_t i = 0; i < n; ++i) {
            const int id = b->removed_semids[i].load();
            if (std::find(removed_ids.begin(), removed_ids.end(), id) == removed_ids.end())
                removed_ids.push_back(id);
        }
    }
    for (int id : removed_ids) {
        const bool known =
            std::any_of(mem.record.removed_outside.begin(), mem.record.removed_outside.end(),
                        [id](const OutsideRemoval& r) { return r.semid == id; });
        if (known) continue;
        OutsideRemoval r;
        r.semid = id;
        r.detected_at = b && b->removal_detected_at.load() ? b->removal_detected_at.load() : now;
        for (const auto& s : mem.record.sets)
            if (s.identity.semid == id) r.type = s.type.empty() ? s.module : s.type;
        mem.record.removed_outside.push_back(r);
    }
}

}  // namespace

bool parent_only_for(const SetInfo& recorded, const ChildIdentity& who) {
    return who.uid != 0 && recorded.uid != who.uid && recorded.cuid != who.uid &&
           !usable_by(recorded, who).empty() && (recorded.mode & 0066) == 0;
}

void retire_generation(RunMemory& mem, SemKernel& kernel, RunProbe& probe, Logger& log,
                       int64_t now) {
    AnchorBlock* b = anchor_block(mem.anchor);
    if (mem.started && mem.record.run.euid == 0) {
        // Before httpd's cleanups remove this generation's sets: anything missing
        // now was removed from outside, and a process-pool set (ssl-cache) that
        // is not re-created would otherwise be forgotten by the restart.
        std::vector<Problem> removals = find_problems(mem.record, kernel, nullptr);
        report_removals(b, removals, "were removed from outside while it ran",
                        "The restart re-creates the configuration's mutexes; a process-pool "
                        "mutex (ssl-cache) stays unusable until a full restart.",
                        log, now, reporter(probe));
        note_in_record(mem, b, removals, now);
    }
    if (b) b->retiring.store(1);
}

int child_check(const RunMemory& mem, SemKernel& kernel, RunProbe& probe, const ChildIdentity& who,
                Logger& log, int64_t now, bool at_exit) {
    AnchorBlock* b = anchor_block(mem.anchor);
    auto generation_current = [&] {
        return !b ||
               (b->live_generation.load() == mem.record.generation && b->retiring.load() == 0);
    };
    if (!mem.started || !generation_current()) return 0;
    std::vector<Problem> problems = find_problems(mem.record, kernel, at_exit ? nullptr : &who);
    // The parent may have begun a restart meanwhile: then the sets went away legitimately.
    if (problems.empty() || !generation_current()) return 0;

    std::vector<Problem> removals, unusable;
    for (auto& p : problems) (p.removal ? removals : unusable).push_back(p);
    report_removals(b, removals, "changed from outside while it runs",
                    "Processes that need them cannot lock them (prefork children exit with "
                    "AH00144) until httpd is restarted.",
                    log, now, reporter(probe));
    if (!unusable.empty() && claim(b, &AnchorBlock::unusable_reported, reporter(probe))) {
        log.log(Level::Emerg, tag::kSetUnusable,
                "a child (uid " + std::to_string(who.uid) +
                    ") cannot use the server's "
                    "semaphore set(s): " +
                    problem_list(unusable) +
                    ". Something changed their owner or mode from outside; restart httpd");
        written(b, &AnchorBlock::unusable_reported);
    }
    return static_cast<int>(problems.size());
}

void parent_exit(RunMemory& mem, SemKernel& kernel, RunProbe& probe, Logger& log, int64_t now) {
    if (!mem.started || mem.record.run.parent_pid != probe.self_pid()) return;
    if (probe.effective_uid() != mem.record.run.euid) {
        // One-process mode (apache2 -X) serves as User in the parent itself: it
        // can no longer write root's record or remove the anchor. It still has
        // the anchor mapped: the note there tells the next start that this run
        // stopped (no post-mortem). httpd's cleanups remove the sets (User's:
        // SemGuardProtect is not applied in this mode); the next start finds
        // the run over, by attachments, and removes the anchor and anything
        // left. No tag: nothing here needs the operator.
        if (AnchorBlock* b = anchor_block(mem.anchor)) {
            b->retiring.store(1);
            b->one_process_exit.store(1);
        }
        log.log(Level::Info, "",
                "one-process mode: exiting as uid " + std::to_string(probe.effective_uid()) +
                    ", the record is left for the next start");
        return;
    }
    AnchorBlock* b = anchor_block(mem.anchor);
    // Before httpd's own cleanups remove the sets: anything missing now was
    // removed by someone else.
    std::vector<Problem> removals = find_problems(mem.record, kernel, nullptr);
    report_removals(b, removals, "were removed from outside while it ran",
                    "The server is stopping now; the next start creates new sets.", log, now,
                    reporter(probe));
    note_in_record(mem, b, removals, now);
    if (b) b->retiring.store(1);

    // Every other process of the run gone: only the parent is attached to the anchor.
    mem.children_gone_at_exit = false;
    if (mem.record.run.anchor_shmid >= 0) {
        auto a = probe.stat_anchor(mem.record.run.anchor_shmid);
        mem.children_gone_at_exit = a && a.value() && a.value()->attached <= 1;
    }
    mem.record.phase = RunPhase::Stopped;
    mem.record.written_at = now;
    save_record(mem, log);
    if (mem.record.run.anchor_shmid >= 0) {
        // Destroyed once the last child detaches; nothing is left behind.
        (void)probe.remove_anchor(mem.record.run.anchor_shmid);
    }
}

long sweep_at_stop(RunMemory& mem, SemKernel& kernel, Logger& log, int64_t now) {
    if (!mem.started || !mem.children_gone_at_exit || mem.record.phase != RunPhase::Stopped)
        return 0;
    mem.children_gone_at_exit = false;  // once
    std::vector<RecordedSet> kept;
    std::vector<GrowthEntry> by_module;
    std::vector<int> ids;
    for (const auto& rec : mem.record.sets) {
        const TypeKnowledge* k = knowledge_of(rec.type);
        // httpd removes these itself with the process pool, right after this.
        const bool httpd_removes = k && k->lifetime == Lifetime::Process;
        auto live = kernel.stat_set(rec.identity.semid);
        if (!live || !same_set(rec.identity, live.value())) continue;  // gone: nothing to keep
        bool busy = false;
        if (auto states = kernel.read_states(rec.identity.semid, rec.identity.nsems)) {
            for (const auto& st : states.value()) busy |= st.waiting > 0 || st.waiting_zero > 0;
        }
        if (httpd_removes || busy || !kernel.remove_set(rec.identity.semid)) {
            kept.push_back(rec);
            continue;
        }
        ids.push_back(rec.identity.semid);
        const std::string who = !rec.module.empty() ? rec.module + " (outside httpd's Mutex table)"
                                : !rec.type.empty() ? rec.type
                                                    : "unknown";
        auto it = std::find_if(by_module.begin(), by_module.end(),
                               [&](const GrowthEntry& g) { return g.module == who; });
        if (it == by_module.end())
            by_module.push_back({who, 1});
        else
            ++it->sets;
    }
    if (ids.empty()) return 0;
    std::string who;
    for (const auto& g : by_module)
        who += (who.empty() ? "" : ", ") + g.module + ": " + std::to_string(g.sets);
    log.log(Level::Notice, tag::kStopSweep,
            "clean stop: every process of the run is gone; removed " + std::to_string(ids.size()) +
                " set(s) that httpd's cleanups left behind (" + who + "): " + bounded_id_list(ids));
    mem.stop_swept += static_cast<long>(ids.size());
    mem.record.sets = kept;
    mem.record.written_at = now;
    save_record(mem, log);
    return static_cast<long>(ids.size());
}

}  // namespace semguard
