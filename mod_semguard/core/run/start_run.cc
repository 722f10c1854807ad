#include "run/start_run.h"

#include <unistd.h>

#include <algorithm>
#include <set>
#include <utility>

#include "log/messages.h"
#include "record/parked_records.h"
#include "record/state_file.h"
#include "run/anchor_block.h"
#include "run/anchor_home.h"
#include "run/span_marks.h"

namespace semguard {

namespace {

// One run: its anchor id and that anchor's ctime.
using RunKey = std::pair<int, int64_t>;
RunKey key_of(const Record& r) { return {r.run.anchor_shmid, r.run.anchor_ctime}; }

struct StartContext {
    const PassInput& in;
    RunMemory& mem;
    SemKernel& kernel;
    RunProbe& probe;
    Logger& log;
    const Snapshot& live;
    std::vector<int> ours;     // kept or dry-run sets: not look-alikes
    std::set<RunKey> handled;  // runs whose record was already used
    bool latest_seen = false;  // a record that speaks for the last run was used
    // The latest state file is there but damaged, untrusted or unreadable:
    // nothing of it is used. The records kept in the IPC namespace are
    // checked on their own (root's segment at our key, our digest, checksum),
    // so they still are: one damaged copy must not cost the other.
    std::string file_refused;  // why, "" when the file was used or missing
};

std::vector<ReclaimedView> views_of(const std::vector<RecordedSet>& sets, pid_t old_pid) {
    std::vector<ReclaimedView> out;
    for (const auto& s : sets) out.push_back({s.identity.semid, s.type, old_pid});
    return out;
}

void begin_memory(const PassInput& in, RunMemory& mem) {
    mem = RunMemory{};
    mem.started = true;
    mem.started_at = in.now;
    mem.settings = in.settings;
    mem.startup.mode = to_string(in.settings.reclaim);
}

// Set ids mean something only in the IPC namespace they were made in.
bool from_other_namespace(StartContext& c, const Record& rec, const std::string& where) {
    const uint64_t here = c.probe.ipc_namespace();
    if (rec.run.ipc_namespace == 0 || here == 0 || rec.run.ipc_namespace == here) return false;
    const std::string why = "the previous run recorded in " + where +
                            " ran in another IPC namespace (inode " +
                            std::to_string(rec.run.ipc_namespace) + ", this one is " +
                            std::to_string(here) + "): its set ids name nothing here";
    c.log.log(Level::Notice, tag::kOtherNamespace, why + "; nothing of it is reclaimed");
    c.mem.startup.summary = why;
    return true;
}

// Reclaims one recorded run; returns true when something of it is left to do.
bool reclaim_one(StartContext& c, const Record& rec, const std::string& where, bool latest) {
    ReclaimSettings rs;
    rs.mode = c.in.settings.reclaim;
    rs.self = c.in.instance;
    // A parked or home record is of a run that was alive (or kept sets) when
    // it was set aside: if it has crashed since, this is the first chance to say so.
    rs.report_post_mortem = true;
    rs.record_path = where;
    ReclaimOutcome out = reclaim_previous_run(c.kernel, c.probe, rec, c.live.sets, rs, c.log);
    c.handled.insert(key_of(rec));
    const pid_t old_pid = rec.run.parent_pid;
    StartupView& v = c.mem.startup;
    for (auto& x : views_of(out.removed, old_pid)) v.reclaimed.push_back(x);
    for (auto& x : views_of(out.would_remove, old_pid)) v.would_reclaim.push_back(x);
    for (const auto& k : out.kept) v.kept.push_back({k.set.identity.semid, k.set.type, k.reason});
    if (!latest && v.post_mortem.empty()) v.post_mortem = out.post_mortem;
    if (latest) {
        v.post_mortem = out.post_mortem;
        v.summary = out.run_verdict;
    }
    c.mem.reclaimed_total += out.removed.size();
    c.mem.kept_total += out.kept.size();
    // Still ours: what was kept or only dry-run. A recorded id that now names
    // another set is not ours, and may well be a look-alike.
    for (const auto& k : out.kept) c.ours.push_back(k.set.identity.semid);
    for (const auto& w : out.would_remove) c.ours.push_back(w.identity.semid);
    for (const auto& u : out.unproven) c.ours.push_back(u.semid);
    return !out.kept.empty() || !out.would_remove.empty();
}

// The latest record first, then records parked by earlier starts.
void reclaim_recorded_files(StartContext& c) {
    const std::string& path = c.in.settings.state_file;
    std::vector<std::string> files{path};
    for (const auto& p : list_parked(path)) files.push_back(p);
    for (const auto& file : files) {
        const bool latest = file == path;
        const StateFileResult state = read_state_file(file, c.probe.effective_uid());
        if (state.outcome == StateFileOutcome::Missing) {
            if (latest) c.mem.startup.summary = "no previous run recorded";
            continue;
        }
        if (state.outcome != StateFileOutcome::Ok) {
            const std::string why = state.outcome == StateFileOutcome::Rejected
                                        ? "is not trusted: " + state.reason
                                        : "cannot be read: " + state.error.describe();
            if (latest) {
                c.mem.startup.summary = "state file " + why;
                c.file_refused = why;
            }
            c.log.log(
                Level::Warn, tag::kStateRejected,
                "state file " + file + " " + why + "; nothing of it is reclaimed" +
                    (latest ? "; a record kept in the IPC namespace is used if there is one" : ""));
            continue;
        }
        if (!c.live.ok) {
            c.log.log(Level::Warn, tag::kKernelUnreadable,
                      "cannot list semaphore sets: " + c.live.error.describe() +
                          "; nothing is reclaimed at this start");
            break;
        }
        const Record& rec = state.record;
        if (latest) c.latest_seen = true;
        if (latest && rec.instance != c.in.instance)
            c.file_refused = "holds the record of another server instance";
        if (from_other_namespace(c, rec, file)) {
            c.handled.insert(key_of(rec));
            continue;
        }
        const bool unfinished = reclaim_one(c, rec, file, latest);
        // Keep the record of sets that are still there, or let it go.
        const bool foreign = rec.instance != c.in.instance;
        if (latest && foreign) warn_shared_state_file(path, rec.instance, c.log);
        if (latest && unfinished && !foreign) {
            if (SysStatus st = park_state_file(path, rec.run); !st)
                c.log.log(Level::Warn, tag::kStateUnwritable,
                          "cannot keep the previous run's record for a later reclaim: " +
                              st.error().describe());
        } else if (!latest && !unfinished && !foreign) {
            ::unlink(file.c_str());
        }
    }
}

// Records kept in the IPC namespace whose runs no file named: a fresh or
// unreadable runtime directory. An anchor without a record is a start killed
// before its first record: removed once nothing is attached to it.
void reclaim_home_records(StartContext& c) {
    if (!c.live.ok) return;
    std::vector<HomeRecord> homes = find_home_records(c.probe, c.in.instance, c.log);
    // Without a latest file, the most recent record kept here speaks for the last run.
    const HomeRecord* newest = nullptr;
    for (const auto& h : homes)
        if (h.record && !c.handled.count(key_of(*h.record)) &&
            (!newest || h.record->written_at > newest->record->written_at))
            newest = &h;
    int orphans = 0;
    for (const auto& h : homes) {
        const std::string where = "anchor segment " + std::to_string(h.anchor.shmid);
        if (!h.record) {
            if (h.problem.empty() && h.anchor.attached == 0 && !h.anchor.marked_for_removal &&
                c.in.settings.reclaim == ReclaimMode::On && c.probe.remove_anchor(h.anchor.shmid))
                ++orphans;
            continue;
        }
        const Record& rec = *h.record;
        if (c.handled.count(key_of(rec))) continue;
        if (rec.run.anchor_shmid != h.anchor.shmid) {
            c.log.log(Level::Warn, tag::kHomeUnreadable,
                      "the record kept in " + where + " names anchor " +
                          std::to_string(rec.run.anchor_shmid) +
                          ", not its own segment; nothing of it is reclaimed");
            continue;
        }
        if (from_other_namespace(c, rec, where)) continue;
        if (!c.file_refused.empty() && &h == newest)
            c.log.log(Level::Warn, tag::kHomeInsteadOfFile,
                      "the state file " + c.in.settings.state_file + " " + c.file_refused +
                          "; the previous run's record kept in " + where + " (parent pid " +
                          std::to_string(static_cast<long>(rec.run.parent_pid)) +
                          ") is used instead");
        reclaim_one(c, rec, where, !c.latest_seen && &h == newest);
    }
    if (orphans > 0)
        c.log.log(Level::Info, tag::kOrphanAnchors,
                  "removed " + std::to_string(orphans) +
                      " anchor segment(s) of earlier starts of this server that were killed "
                      "before recording them");
}

void list_lookalikes(StartContext& c) {
    if (!c.live.ok || !c.in.user_known) return;
    RunMemory& mem = c.mem;
    for (const auto& s : find_lookalikes(c.live.sets, c.in.user_uid, c.ours)) {
        const bool removed_now =
            std::any_of(mem.startup.reclaimed.begin(), mem.startup.reclaimed.end(),
                        [&](const ReclaimedView& r) { return r.semid == s.semid; });
        if (!removed_now) mem.lookalikes.push_back(s.semid);
    }
    mem.startup.lookalikes = mem.lookalikes;
    if (mem.lookalikes.empty()) return;
    c.log.log(Level::Info, tag::kLookalikes,
              std::to_string(mem.lookalikes.size()) +
                  " semaphore set(s) look like httpd's (no key, one semaphore, mode 600, "
                  "owned by User) but are not this server's; they are left alone. Ids: " +
                  bounded_id_list(mem.lookalikes) + "; inspect one with ipcs -s -i ID");
}

// The new run: its identity and its anchor, named on disk and in the anchor at once.
void open_run(StartContext& c) {
    RunMemory& mem = c.mem;
    RunIdentity run;
    run.parent_pid = c.probe.self_pid();
    if (auto self = c.probe.process(run.parent_pid)) run.parent_start_ticks = self->start_ticks;
    run.boot_id = c.probe.boot_id();
    run.euid = c.probe.effective_uid();
    run.started_at = c.in.now;
    run.ipc_namespace = c.probe.ipc_namespace();
    mem.startup.ipc_namespace = run.ipc_namespace;
    auto anchor = create_home_anchor(c.probe, c.in.instance, c.log);
    if (!anchor) {
        c.log.log(Level::Warn, tag::kNoAnchor,
                  "cannot create the anchor segment that proves this run's end: " +
                      anchor.error().describe() + "; a crash of this run could not be reclaimed");
    } else {
        run.anchor_shmid = anchor->info.shmid;
        run.anchor_creator = anchor->info.creator_pid;
        run.anchor_ctime = anchor->info.ctime;
        mem.anchor = anchor->address;
        anchor_init(mem.anchor, c.in.generation, c.in.instance.digest());
        if (AnchorBlock* b = anchor_block(mem.anchor)) b->ipc_namespace.store(run.ipc_namespace);
    }
    mem.record = Record{};
    mem.record.instance = c.in.instance;
    mem.record.run = run;
    mem.record.generation = c.in.generation;
    mem.record.written_at = c.in.now;
    // Name the new anchor at once: a crash from here on finds it.
    if (run.anchor_shmid >= 0) save_record(mem, c.log);
}

}  // namespace

void warn_shared_state_file(const std::string& path, const InstanceIdentity& other, Logger& log) {
    log.log(Level::Warn, tag::kStateShared,
            "state file " + path + " holds the record of another server instance (ServerRoot " +
                other.server_root + ", config " + other.config_file + ", PidFile " +
                other.pid_file +
                "); the two overwrite each other's record, so a crash of either "
                "cannot be reclaimed. Give each instance its own SemGuardStateFile");
}

Snapshot start_run(const PassInput& in, RunMemory& mem, SemKernel& kernel, RunProbe& probe,
                   Logger& log) {
    begin_memory(in, mem);
    remove_stale_temp_files(in.settings.state_file);
    // The preflight's one listing (issue #15). It serves (a) reclaim_previous_run's
    // unrecorded_startup_sets (when a record's phase is Starting), (b) the
    // look-alike report and the owner breakdown of SG0110/SG0111, and (c) the
    // preflight's baseline: a set is this process's only if this listing
    // lacks it (span_marks.h, after_baseline). Never "cuid = euid, last pid =
    // this process and ctime >= the pass's start" instead: that claims an
    // older set whose last semop came from an earlier process with this pid
    // (pid reuse; the ctime, in seconds, changes at IPC_SET too), and a wrong
    // claim can end in removing another program's set. The chain of creation
    // cursors starts just before it: the preflight's marks and end then read
    // only the indices between cursors. Every later pass lists once more, for
    // its own baseline (begin_pass).
    start_chain(mem, kernel);
    const Snapshot live = take_snapshot(kernel);
    if (live.ok) set_baseline(mem, live, probe.self_pid());
    StartContext c{in, mem, kernel, probe, log, live, {}, {}, false, {}};
    reclaim_recorded_files(c);
    reclaim_home_records(c);
    list_lookalikes(c);
    open_run(c);
    return live;
}

}  // namespace semguard
