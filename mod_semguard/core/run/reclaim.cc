#include "run/reclaim.h"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <thread>

#include "run/anchor_block.h"
#include "run/attribution.h"
#include "log/messages.h"

namespace semguard {

namespace {

struct RunProof {
    bool over = false;
    std::string verdict;
    bool anchor_present = false;   // ours, with no attachment: to be removed
    int64_t last_exit = 0;         // shm_dtime: when the last process of the run went away
    std::vector<int> removed_outside;  // what the run's processes noted in the anchor
    // The parent's pid names another process now. A set last touched by "that
    // pid" may then be the newcomer's: unrecorded sets cannot be attributed.
    bool parent_pid_reused = false;
};

std::string pid_text(pid_t pid) { return std::to_string(static_cast<long>(pid)); }

RunProof prove_run_over(RunProbe& probe, const Record& rec) {
    RunProof p;
    const RunIdentity& run = rec.run;
    if (!run.boot_id.empty() && run.boot_id != probe.boot_id()) {
        p.over = true;
        p.verdict = "the previous run was before the last boot";
        return p;
    }
    auto parent = probe.process(run.parent_pid);
    if (!parent) {
        p.verdict = "its parent pid " + pid_text(run.parent_pid) +
                    " could not be checked: " + parent.error().describe();
        return p;
    }
    if (parent->state == ProcessState::Running && parent->start_ticks == run.parent_start_ticks) {
        p.verdict = "its parent pid " + pid_text(run.parent_pid) + " is still running";
        return p;
    }
    p.parent_pid_reused = parent->state != ProcessState::Absent;
    if (run.anchor_shmid < 0) {
        p.verdict = "the previous run had no anchor segment, so it cannot be proven that none "
                    "of its processes is alive";
        return p;
    }
    auto anchor = probe.stat_anchor(run.anchor_shmid);
    if (!anchor) {
        p.verdict = "its anchor segment " + std::to_string(run.anchor_shmid) +
                    " could not be checked: " + anchor.error().describe();
        return p;
    }
    auto a = anchor.value();
    const bool ours = a && a->creator_pid == run.anchor_creator && a->ctime == run.anchor_ctime &&
                      a->cuid == run.euid;
    // Another instance starting at the same moment attaches the segment for an
    // instant to read whose it is (the orphan sweep). A process of the run stays
    // attached; a reader is gone within milliseconds: look again before deciding.
    for (int i = 0; ours && a->attached > 0 && i < 20; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        auto again = probe.stat_anchor(run.anchor_shmid);
        if (!again || !again.value()) break;
        a = again.value();
    }
    if (ours && a->attached > 0) {
        p.verdict = std::to_string(a->attached) + " process(es) of the previous run (parent " +
                    pid_text(run.parent_pid) + ") are still alive, attached to its anchor "
                    "segment " + std::to_string(run.anchor_shmid);
        return p;
    }
    p.over = true;
    // A segment id names one live segment at a time: gone or replaced means every
    // process that was attached to ours has exited.
    p.anchor_present = ours;
    p.last_exit = ours ? a->dtime : 0;
    if (ours) {
        // A parent killed after a child found a set removed never wrote it down;
        // the child noted it in the anchor.
        if (auto copy = probe.read_anchor(run.anchor_shmid, sizeof(AnchorBlock)))
            p.removed_outside = anchor_removals(copy.value());
    }
    p.verdict = "the previous run (parent " + pid_text(run.parent_pid) + ") is over: " +
                (ours ? "no process is attached to its anchor segment any more"
                      : "its anchor segment is gone");
    return p;
}

// Sets created by the run's parent during a pass it did not live to record:
// new since the Starting record, never locked, last touched by that parent, and
// made before the last process of the run exited.
std::vector<RecordedSet> unrecorded_startup_sets(SemKernel& kernel, const Record& rec,
                                                 const RunProof& proof,
                                                 const std::vector<SetInfo>& live) {
    std::vector<RecordedSet> out;
    if (rec.phase != RunPhase::Starting || proof.last_exit == 0 || proof.parent_pid_reused)
        return out;
    for (const auto& set : live) {
        const bool recorded = std::any_of(rec.sets.begin(), rec.sets.end(), [&](const RecordedSet& r) {
            return r.identity.semid == set.semid;
        });
        if (recorded || set.key != 0 || set.cuid != rec.run.euid) continue;
        if (set.ctime < rec.written_at || set.ctime > proof.last_exit) continue;
        if (!untouched_since_created_by(kernel, set, rec.run.parent_pid)) continue;
        RecordedSet r;
        r.identity = set;
        r.creator_pid = rec.run.parent_pid;
        r.generation = rec.generation;
        out.push_back(r);
    }
    return out;
}

// Nobody may be waiting on the set or holding it: httpd's mutexes rest at 1
// once every process of the run is gone (SEM_UNDO releases a dead holder).
std::string in_use_reason(SemKernel& kernel, const SetInfo& set) {
    auto states = kernel.read_states(set.semid, set.nsems);
    if (!states) return "its state could not be read: " + states.error().describe();
    for (const auto& s : states.value()) {
        if (s.waiting > 0 || s.waiting_zero > 0)
            return std::to_string(s.waiting + s.waiting_zero) + " process(es) are waiting on it";
    }
    if (set.nsems == 1 && states->front().value != 1)
        return "it is held (value " + std::to_string(states->front().value) +
               ") although no process of the run is alive";
    return "";
}

std::string id_list(const std::vector<RecordedSet>& sets) {
    std::string out;
    for (const auto& s : sets) out += (out.empty() ? "" : ", ") + describe_set(s);
    return out;
}

}  // namespace

const char* to_string(ReclaimMode mode) {
    switch (mode) {
        case ReclaimMode::On: return "on";
        case ReclaimMode::Off: return "off";
        case ReclaimMode::DryRun: return "dryrun";
    }
    return "on";
}

std::string describe_set(const RecordedSet& set) {
    if (set.type.empty() && !set.module.empty())
        return std::to_string(set.identity.semid) + " (" + set.module +
               ", outside httpd's Mutex table)";
    return std::to_string(set.identity.semid) + " (" +
           (set.type.empty() ? std::string("type unknown") : set.type) + ")";
}

std::vector<SetInfo> find_lookalikes(const std::vector<SetInfo>& live, uid_t httpd_uid,
                                     const std::vector<int>& ours) {
    std::vector<SetInfo> out;
    for (const auto& s : live) {
        if (s.key != 0 || s.nsems != 1 || s.mode != 0600 || s.uid != httpd_uid) continue;
        if (std::find(ours.begin(), ours.end(), s.semid) != ours.end()) continue;
        out.push_back(s);
    }
    return out;
}

ReclaimOutcome reclaim_previous_run(SemKernel& kernel, RunProbe& probe, const Record& previous,
                                    const std::vector<SetInfo>& live,
                                    const ReclaimSettings& settings, Logger& log) {
    ReclaimOutcome out;
    if (previous.instance != settings.self) {
        out.run_verdict = "the state file belongs to another instance (ServerRoot " +
                          previous.instance.server_root + ", config " +
                          previous.instance.config_file + ")";
        log.log(Level::Warn, tag::kStateRejected,
                "state file " + settings.record_path + " not used: " + out.run_verdict +
                    "; nothing of it is reclaimed");
        return out;
    }

    const RunProof proof = prove_run_over(probe, previous);
    out.run_over = proof.over;
    out.run_verdict = proof.verdict;

    std::vector<RecordedSet> candidates = previous.sets;
    if (proof.over) {
        auto extra = unrecorded_startup_sets(kernel, previous, proof, live);
        candidates.insert(candidates.end(), extra.begin(), extra.end());
    }

    std::vector<RecordedSet> present;
    for (const auto& rec : candidates) {
        auto now = kernel.stat_set(rec.identity.semid);
        if (!now) {
            if (now.error().code == EINVAL || now.error().code == EIDRM) {
                out.missing.push_back(rec);
            } else {
                out.kept.push_back({rec, "it could not be checked: " + now.error().describe()});
            }
            continue;
        }
        if (!same_set(rec.identity, now.value())) {
            // The id was recycled for some other set, or it was changed from outside.
            out.missing.push_back(rec);
            continue;
        }
        present.push_back(rec);
    }

    if (!proof.over) {
        for (const auto& rec : present) out.kept.push_back({rec, proof.verdict});
        if (!present.empty())
            log.log(Level::Warn, tag::kRunAlive,
                    "keeping " + std::to_string(present.size()) +
                        " set(s) of the previous run: " + proof.verdict);
    } else {
        for (const auto& rec : present) {
            if (std::string busy = in_use_reason(kernel, rec.identity); !busy.empty()) {
                out.kept.push_back({rec, busy});
                continue;
            }
            if (settings.mode == ReclaimMode::Off) {
                out.kept.push_back({rec, "SemGuardReclaim is Off"});
                continue;
            }
            if (settings.mode == ReclaimMode::DryRun) {
                out.would_remove.push_back(rec);
                continue;
            }
            if (SysStatus st = kernel.remove_set(rec.identity.semid); !st) {
                out.kept.push_back({rec, "removing it failed: " + st.error().describe()});
                log.log(Level::Error, tag::kRemoveFailed,
                        "could not remove stale set " + describe_set(rec) + ": " +
                            st.error().describe());
                continue;
            }
            out.removed.push_back(rec);
        }
        if (proof.anchor_present && settings.mode == ReclaimMode::On) {
            out.anchor_removed = static_cast<bool>(probe.remove_anchor(previous.run.anchor_shmid));
        }
    }

    for (const auto& k : out.kept) {
        if (k.reason == proof.verdict && !proof.over) continue;  // said once above
        log.log(Level::Warn, tag::kKept,
                "kept set " + describe_set(k.set) + " of the previous run: " + k.reason);
    }
    const std::string old_pid = pid_text(previous.run.parent_pid);
    if (!out.removed.empty())
        log.log(Level::Notice, tag::kReclaimed,
                "reclaimed " + std::to_string(out.removed.size()) +
                    " stale semaphore set(s) of the previous run (parent pid " + old_pid +
                    "): " + id_list(out.removed));
    if (!out.would_remove.empty())
        log.log(Level::Notice, tag::kDryRun,
                "SemGuardReclaim DryRun: would remove " + std::to_string(out.would_remove.size()) +
                    " stale set(s) of the previous run (parent pid " + old_pid +
                    "): " + id_list(out.would_remove) + "; nothing was removed");

    // Post-mortem: only for a run that did not stop cleanly.
    if (settings.report_post_mortem && proof.over &&
        (previous.phase != RunPhase::Stopped || !previous.removed_outside.empty() ||
         !proof.removed_outside.empty())) {
        std::string pm = "the previous run (parent pid " + old_pid + ", generation " +
                         std::to_string(previous.generation) + ") " +
                         (previous.phase == RunPhase::Stopped ? "shut down"
                                                              : "ended without a clean shutdown");
        std::vector<OutsideRemoval> removals = previous.removed_outside;
        for (int id : proof.removed_outside) {
            if (std::any_of(removals.begin(), removals.end(),
                            [id](const OutsideRemoval& r) { return r.semid == id; }))
                continue;
            OutsideRemoval r;
            r.semid = id;
            for (const auto& s : previous.sets)
                if (s.identity.semid == id) r.type = s.type;
            removals.push_back(r);
        }
        if (!removals.empty()) {
            std::string ids;
            for (const auto& r : removals)
                ids += (ids.empty() ? "" : ", ") + std::to_string(r.semid) + " (" +
                       (r.type.empty() ? "type unknown" : r.type) + ")";
            // After a shutdown, the removal is its likely reason only when a
            // process of the run noticed it shortly before (prefork's parent
            // stops when a child exits with AH00144); one found by the parent
            // at the stop itself (an asked-for `-k stop`) did not cause it.
            bool caused = previous.phase != RunPhase::Stopped;
            for (const auto& r : removals)
                caused |= r.detected_at > 0 && r.detected_at < previous.written_at &&
                          previous.written_at - r.detected_at <= 60;
            pm += "; while it ran, set(s) " + ids + " were removed from outside" +
                  (caused ? std::string(", the likely reason it stopped") : std::string());
        } else if (!out.missing.empty() && previous.phase == RunPhase::Running &&
                   previous.generation > 0) {
            pm += "; recorded set(s) " + id_list(out.missing) +
                  " had already been removed by someone else (while it ran or after it ended)";
        }
        const size_t left = out.removed.size() + out.would_remove.size() + out.kept.size();
        pm += "; it left " + std::to_string(left) + " set(s)";
        if (!out.removed.empty()) pm += ", reclaimed now";
        out.post_mortem = pm;
        log.log(Level::Notice, tag::kPostMortem, pm);
    }
    return out;
}

}  // namespace semguard
