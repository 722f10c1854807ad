#include "run/reclaim.h"

#include <algorithm>
#include <cerrno>
#include <optional>

#include "run/anchor_block.h"
#include "run/attribution.h"
#include "log/messages.h"

namespace semguard {

namespace {

struct RunProof {
    bool over = false;
    std::string verdict;
    // Not over because nothing can prove it either way (the anchor does not
    // match the record): each kept set is named with this reason (SG0203).
    bool unprovable = false;
    bool anchor_present = false;       // ours, with no attachment: to be removed
    std::vector<int> removed_outside;  // what the run's processes noted in the anchor
    std::vector<NotedSet> noted;       // sets the parent noted as it created them
    bool one_process_exit = false;     // an apache2 -X parent noted its clean exit
};

std::string pid_text(pid_t pid) { return std::to_string(static_cast<long>(pid)); }

// A reader (a concurrent start of this instance, or root) attaches for an
// instant; a process of the run stays attached. Look again a few times.
constexpr int kLooks = 20;
constexpr int kLookPauseMs = 5;

// What of the anchor no one but the kernel can change: who made it and when.
// An IPC_SET from outside moves ctime; a pid namespace other than the
// creator's shows another cpid (or 0). Either way it is not provably ours.
std::string anchor_mismatch(const AnchorInfo& a, const RunIdentity& run) {
    std::string why;
    auto add = [&why](const std::string& what) { why += (why.empty() ? "" : ", ") + what; };
    if (a.cuid != run.euid)
        add("creator uid " + std::to_string(a.cuid) + ", recorded " + std::to_string(run.euid));
    if (a.creator_pid != run.anchor_creator)
        add("creator pid " + pid_text(a.creator_pid) + ", recorded " +
            pid_text(run.anchor_creator) + " (another PID namespace sees another pid)");
    if (a.ctime != run.anchor_ctime)
        add("ctime " + std::to_string(a.ctime) + ", recorded " + std::to_string(run.anchor_ctime) +
            " (changed from outside by IPC_SET, or the id names another segment now)");
    return why;
}

// Liveness is decided by attachments alone. Every process of the run inherited
// the anchor by fork and holds it until it exits; the kernel destroys a segment
// only once nothing is attached, and a segment marked for removal (IPC_RMID
// from outside) stays visible under its id, attached, until then. So:
//   id gone                      -> every process of the run has exited;
//   id present, attached         -> the run may be alive, whatever else it says;
//   id present, unattached, ours -> over;
//   id present, unattached, identity differs -> not provable: keep.
RunProof prove_run_over(RunProbe& probe, const Record& rec) {
    RunProof p;
    const RunIdentity& run = rec.run;
    if (!run.boot_id.empty() && run.boot_id != probe.boot_id()) {
        p.over = true;
        p.verdict = "the previous run was before the last boot";
        return p;
    }
    // A pid alone proves nothing; it may only hold a removal back.
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
    if (run.anchor_shmid < 0) {
        p.verdict =
            "the previous run had no anchor segment, so it cannot be proven that none "
            "of its processes is alive";
        return p;
    }
    const std::string seg = "anchor segment " + std::to_string(run.anchor_shmid);
    std::optional<AnchorInfo> a;
    for (int look = 0; look < kLooks; ++look) {
        if (look > 0) probe.pause(kLookPauseMs);
        auto anchor = probe.stat_anchor(run.anchor_shmid);
        if (!anchor) {
            p.verdict = "its " + seg + " could not be checked: " + anchor.error().describe();
            return p;
        }
        a = anchor.value();
        if (!a || a->attached == 0) break;
    }
    if (!a) {
        p.over = true;
        p.verdict = "the previous run (parent " + pid_text(run.parent_pid) +
                    ") is over: its anchor segment is gone (id " +
                    std::to_string(run.anchor_shmid) +
                    "), so every process attached to it has exited";
        return p;
    }
    if (a->attached > 0) {
        p.verdict = std::to_string(a->attached) + " process(es) of the previous run (parent " +
                    pid_text(run.parent_pid) + ") are still alive, attached to its " + seg;
        if (a->marked_for_removal) p.verdict += " (marked for removal from outside)";
        return p;
    }
    if (std::string why = anchor_mismatch(*a, run); !why.empty()) {
        p.unprovable = true;
        p.verdict = "its " + seg + " exists but no longer matches the record (" + why +
                    "), so it cannot be proven that no process of the run is alive";
        return p;
    }
    p.over = true;
    p.anchor_present = true;
    // A parent killed after a child found a set removed never wrote it down;
    // the child noted it in the anchor. The parent noted the sets it created.
    if (auto copy = probe.read_anchor(run.anchor_shmid, sizeof(AnchorBlock))) {
        p.removed_outside = anchor_removals(copy.value());
        if (anchor_of_instance(copy.value(), rec.instance.digest())) {
            p.noted = anchor_noted_sets(copy.value());
            p.one_process_exit = anchor_one_process_exit(copy.value());
        }
    }
    p.verdict = "the previous run (parent " + pid_text(run.parent_pid) +
                ") is over: no process "
                "is attached to its " +
                seg + " any more";
    return p;
}

bool in_record(const Record& rec, int semid) {
    return std::any_of(rec.sets.begin(), rec.sets.end(),
                       [&](const RecordedSet& r) { return r.identity.semid == semid; });
}

// Sets the run's parent created in a pass it did not live to record. Only what
// it noted in its anchor while alive counts: a pid on a set proves nothing once
// that process is gone (another may have its pid now).
std::vector<RecordedSet> unrecorded_startup_sets(const Record& rec, const RunProof& proof,
                                                 const std::vector<SetInfo>& live) {
    std::vector<RecordedSet> out;
    if (rec.phase != RunPhase::Starting) return out;
    for (const auto& note : proof.noted) {
        if (in_record(rec, note.semid)) continue;
        for (const auto& set : live) {
            if (set.semid != note.semid || set.ctime != note.ctime || set.key != 0 ||
                set.cuid != rec.run.euid)
                continue;
            RecordedSet r;
            r.identity = set;
            r.creator_pid = rec.run.parent_pid;
            r.generation = rec.generation;
            out.push_back(r);
        }
    }
    return out;
}

// Sets that look as if the killed pass made them (new since its record, never
// used, last touched by its parent's pid) but that it did not note: kept, and
// named, since that pid may be another process's now.
std::vector<SetInfo> unproven_startup_sets(SemKernel& kernel, const Record& rec,
                                           const std::vector<RecordedSet>& noted,
                                           const std::vector<SetInfo>& live) {
    std::vector<SetInfo> out;
    if (rec.phase != RunPhase::Starting) return out;
    for (const auto& set : live) {
        if (in_record(rec, set.semid) || set.key != 0 || set.cuid != rec.run.euid ||
            set.ctime < rec.written_at)
            continue;
        if (std::any_of(noted.begin(), noted.end(),
                        [&](const RecordedSet& r) { return r.identity.semid == set.semid; }))
            continue;
        if (untouched_since_created_by(kernel, set, rec.run.parent_pid)) out.push_back(set);
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
    std::vector<RecordedSet> noted;
    if (proof.over) noted = unrecorded_startup_sets(previous, proof, live);
    candidates.insert(candidates.end(), noted.begin(), noted.end());
    out.unproven = unproven_startup_sets(kernel, previous, noted, live);
    if (!out.unproven.empty()) {
        std::string ids;
        for (const auto& s : out.unproven)
            ids += (ids.empty() ? "" : "; ") + std::string("ipcs -s -i ") + std::to_string(s.semid);
        log.log(Level::Warn, tag::kUnprovenSets,
                std::to_string(out.unproven.size()) +
                    " set(s) may have been created by the previous run in a pass it did not "
                    "live to record (parent pid " +
                    pid_text(previous.run.parent_pid) +
                    "), but that pid proves nothing once the process is gone; they are kept. "
                    "Inspect: " +
                    ids);
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
        if (!present.empty() && !proof.unprovable)
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
        // The anchor carries the record: it goes only with the last set of the run.
        if (proof.anchor_present && settings.mode == ReclaimMode::On && out.kept.empty()) {
            out.anchor_removed = static_cast<bool>(probe.remove_anchor(previous.run.anchor_shmid));
        }
    }

    for (const auto& k : out.kept) {
        if (k.reason == proof.verdict && !proof.over && !proof.unprovable)
            continue;  // said once above
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

    // Post-mortem: only for a run that did not stop cleanly. A one-process
    // parent (apache2 -X) exits as User and cannot write its Stopped record:
    // the note in its anchor says it stopped. It changes only these words;
    // what is removed was decided above, by attachments.
    const bool stopped = previous.phase == RunPhase::Stopped || proof.one_process_exit;
    if (settings.report_post_mortem && proof.over &&
        (!stopped || !previous.removed_outside.empty() || !proof.removed_outside.empty())) {
        std::string pm = "the previous run (parent pid " + old_pid + ", generation " +
                         std::to_string(previous.generation) + ") " +
                         (stopped ? "shut down" : "ended without a clean shutdown");
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
            bool caused = !stopped;
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
