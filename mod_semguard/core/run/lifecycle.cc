#include "run/lifecycle.h"

#include <algorithm>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <set>

#include "diagnosis/owners.h"
#include "run/anchor_block.h"
#include "run/anchor_home.h"
#include "run/start_run.h"
#include "log/messages.h"
#include "record/record_codec.h"
#include "record/state_file.h"

namespace semguard {

namespace {

// Sets of earlier passes that still exist unchanged: the process-pool ones
// (ssl-cache) and any pconf set whose cleanup did not run.
std::vector<RecordedSet> carried_sets(const RunMemory& mem, SemKernel& kernel,
                                      const std::vector<MutexConfig>& mutexes,
                                      const ConfigFacts& facts) {
    std::vector<RecordedSet> out;
    for (const auto& rec : mem.record.sets) {
        auto now = kernel.stat_set(rec.identity.semid);
        if (now && same_set(rec.identity, now.value())) out.push_back(rec);
    }
    const int unknown =
        static_cast<int>(std::count_if(out.begin(), out.end(), [](const RecordedSet& r) {
            return r.type.empty();
        }));
    if (unknown > 0) {
        // Having survived a reload of the configuration, they live in the process
        // pool: that often leaves a single candidate type.
        const std::string type = certain_process_lifetime_type(mutexes, facts, unknown);
        for (auto& r : out)
            if (r.type.empty()) r.type = type;
    }
    return out;
}

// Who holds the sets in use, for SG0110/SG0111: "" without a listing.
std::string owners_in_use(const Snapshot& listing, const RunMemory& mem, uid_t user_uid) {
    if (!listing.ok) return "";
    std::set<int> ours;
    std::vector<int> our_ids;
    for (const auto& r : mem.record.sets) {
        ours.insert(r.identity.semid);
        our_ids.push_back(r.identity.semid);
    }
    std::set<int> like;
    for (const auto& s : find_lookalikes(listing.sets, user_uid, our_ids)) like.insert(s.semid);
    return describe_owners(owner_breakdown(listing.sets, ours, like, passwd_user_name));
}

void log_headroom(const PassInput& in, const HeadroomVerdict& v, Logger& log) {
    const bool real_pass = in.kind != PassKind::Preflight;
    if (!v.uses_sysv) {
        if (real_pass) log.log(Level::Notice, tag::kNoSysv, v.summary);
        return;
    }
    if (!v.failure.empty()) {
        for (const auto& line : v.failure) log.log(Level::Emerg, tag::kExhausted, line);
        return;
    }
    if (real_pass) {
        log.log(Level::Notice, tag::kSummary, v.summary);
        if (!v.warning.empty()) log.log(Level::Warn, tag::kLowHeadroom, v.warning);
    }
}

std::vector<SetInfo> identities_in(const Snapshot& snap, const std::vector<SetInfo>& sets) {
    std::vector<SetInfo> out;
    for (const auto& s : sets) {
        auto it = std::find_if(snap.sets.begin(), snap.sets.end(),
                               [&](const SetInfo& x) { return x.semid == s.semid; });
        if (it != snap.sets.end()) out.push_back(*it);
    }
    return out;
}

void protect_sets(RunMemory& mem, SemKernel& kernel, Logger& log) {
    for (auto& rec : mem.record.sets) {
        SetInfo& id = rec.identity;
        if (id.uid == id.cuid && id.gid == mem.group_gid && id.mode == 0660) {
            rec.is_protected = true;
            continue;
        }
        // Owner = the creator (root): only root may remove or re-own the set,
        // while the children keep locking it through the group.
        if (SysStatus st = kernel.set_owner(id.semid, id.cuid, mem.group_gid, 0660); !st) {
            log.log(Level::Warn, tag::kProtectFailed,
                    "cannot protect set " + describe_set(rec) + ": " + st.error().describe());
            continue;
        }
        if (auto now = kernel.stat_set(id.semid)) {
            id = now.value();
            rec.is_protected = true;
        }
    }
}

}  // namespace

void note_new_sets(RunMemory& mem, SemKernel& kernel, const Snapshot& now) {
    AnchorBlock* b = anchor_block(mem.anchor);
    if (!b || !mem.before.ok || !now.ok) return;
    // This process is alive and running this code: a set it touched last is its own.
    for (const auto& s : created_by(kernel, appeared(mem.before, now), mem.record.run.parent_pid,
                                    mem.record.run.euid))
        anchor_note_set(*b, s.semid, s.ctime);
}

void save_record(RunMemory& mem, Logger& log) {
    // The copy in the anchor first: it lives as long as the sets, whatever
    // becomes of the runtime directory.
    if (anchor_block(mem.anchor) && !anchor_store_record(mem.anchor, encode_record(mem.record)) &&
        !mem.home_full_reported) {
        mem.home_full_reported = true;
        log.log(Level::Warn, tag::kHomeUnreadable,
                "the record (" + std::to_string(mem.record.sets.size()) +
                    " sets) does not fit in the anchor segment; only the state file keeps it");
    }
    const Durability durability =
        mem.record.phase == RunPhase::Starting ? Durability::Atomic : Durability::Durable;
    if (SysStatus st = write_state_file(mem.settings.state_file, mem.record, durability); !st) {
        log.log(Level::Warn, tag::kStateUnwritable,
                "cannot write the state file " + mem.settings.state_file + ": " +
                    st.error().describe() + "; a crash of this run could not be reclaimed");
    }
}

PassVerdict begin_pass(const PassInput& in, RunMemory& mem, SemKernel& kernel, RunProbe& probe,
                       Logger& log) {
    // The sets that exist before this pass creates any. Right after a reclaim the
    // listing taken for it serves: removals only shrink what was there.
    Snapshot before;
    if (in.kind == PassKind::Preflight || !mem.started)
        before = start_run(in, mem, kernel, probe, log);

    if (in.kind == PassKind::FirstReal) {
        // httpd detached between the passes: the run's parent is a new process.
        mem.record.run.parent_pid = probe.self_pid();
        if (auto self = probe.process(mem.record.run.parent_pid))
            mem.record.run.parent_start_ticks = self->start_ticks;
    }
    mem.settings = in.settings;
    mem.group_gid = in.group_gid;
    mem.mutexes = in.mutexes;
    mem.facts = in.facts;

    std::vector<RecordedSet> carried = carried_sets(mem, kernel, in.mutexes, in.facts);

    // What this pass will create: known exactly after a real pass of this run.
    Projection need = project_need(in.mutexes, in.facts, in.kind);
    // ... unless the configuration changed in a way the projection sees.
    const bool same_projection = need.arrays == mem.last_projection.arrays &&
                                 need.semaphores == mem.last_projection.semaphores &&
                                 need.exact == mem.last_projection.exact;
    if (in.kind == PassKind::Restart && mem.last_created >= 0 && same_projection) {
        need.arrays = need.semaphores = mem.last_created;
        need.exact = true;
    }
    mem.need = need;
    // From here on the record lists only what exists: a refused pass must not
    // leave the previous generation's removed sets looking like a removal from outside.
    mem.record.sets = carried;

    auto limits = kernel.limits();
    auto usage = kernel.usage();
    if (!limits || !usage) {
        const SysError& e = !limits ? limits.error() : usage.error();
        log.log(Level::Warn, tag::kKernelUnreadable,
                "cannot read the kernel's semaphore limits or use: " + e.describe() +
                    "; the headroom check is skipped");
        mem.headroom = HeadroomVerdict{};
        mem.headroom.state = HeadroomState::Unknown;
    } else {
        HeadroomInput hi;
        hi.limits = limits.value();
        hi.usage = usage.value();
        hi.need = need;
        hi.mutexes = in.mutexes;
        hi.warn_at_percent = in.settings.warn_at_percent;
        hi.held_by_own_stale_sets = static_cast<long>(mem.startup.kept.size());
        hi.alternatives = in.alternatives;
        hi.max_processes = in.max_processes;
        mem.headroom = assess_headroom(hi);
        if (!mem.headroom.warning.empty() || !mem.headroom.failure.empty()) {
            // Who holds the sets, next to the limit (SG0110/SG0111): a listing
            // of this moment, taken only when there is something to explain.
            hi.owners = owners_in_use(take_snapshot(kernel), mem, in.user_uid);
            if (!hi.owners.empty()) mem.headroom = assess_headroom(hi);
        }
        log_headroom(in, mem.headroom, log);
        if (!mem.headroom.failure.empty() && in.settings.refuse_start) {
            log.log(Level::Emerg, tag::kRefuseStart,
                    "SemGuardRefuseStart On: not starting, no mutex of this pass has been "
                    "created (httpd then reports \"Unable to open logs\": AH00015 at a start, "
                    "AH00019 at a restart)");
            return PassVerdict::Refuse;
        }
    }

    // Otherwise the listing at the end of the previous pass serves: since then
    // httpd only removed sets, and what other programs created meanwhile fails
    // end_pass's creator test (last touched by this process) anyway.
    if (before.ok) mem.before = std::move(before);
    else if (!mem.before.ok) mem.before = take_snapshot(kernel);
    mem.record.sets = carried;
    if (AnchorBlock* b = anchor_block(mem.anchor)) anchor_begin_notes(*b, in.generation);
    mem.record.phase = RunPhase::Starting;
    mem.record.generation = in.generation;
    mem.record.written_at = in.now;
    save_record(mem, log);
    return PassVerdict::Proceed;
}

void mark_after_mpm(RunMemory& mem, SemKernel& kernel, PassKind kind) {
    // The preflight's listing serves only the notes: its sets are not typed.
    Snapshot now = take_snapshot(kernel);
    note_new_sets(mem, kernel, now);
    mem.after_mpm = kind == PassKind::Preflight ? Snapshot{} : std::move(now);
}

void end_pass(const PassInput& in, RunMemory& mem, SemKernel& kernel, RunProbe& probe,
              Logger& log, const std::vector<WindowHook>& window1,
              const std::vector<WindowHook>& window2) {
    Snapshot after = take_snapshot(kernel);
    const pid_t self = probe.self_pid();
    const uid_t euid = probe.effective_uid();
    if (!mem.before.ok || !after.ok) {
        log.log(Level::Warn, tag::kKernelUnreadable,
                "cannot list semaphore sets, this generation's sets are not recorded: " +
                    (!after.ok ? after.error : mem.before.error).describe());
        return;
    }
    // Without the middle snapshot everything falls in one window, typed by both.
    const Snapshot& middle = mem.after_mpm.ok ? mem.after_mpm : mem.before;
    std::vector<WindowHook> late = window2;
    if (!mem.after_mpm.ok) late.insert(late.end(), window1.begin(), window1.end());

    auto early_new = identities_in(after, created_by(kernel, appeared(mem.before, middle), self, euid));
    auto late_new = identities_in(after, created_by(kernel, appeared(middle, after), self, euid));
    const std::string early_type =
        certain_type(in.mutexes, in.facts, in.kind, window1, static_cast<int>(early_new.size()));
    const std::string late_type =
        certain_type(in.mutexes, in.facts, in.kind, late, static_cast<int>(late_new.size()));

    auto add = [&](const std::vector<SetInfo>& sets, const std::string& type) {
        for (const auto& s : sets) {
            RecordedSet r;
            r.identity = s;
            r.type = type;
            r.creator_pid = self;
            r.generation = in.generation;
            mem.record.sets.push_back(r);
        }
    };
    add(early_new, early_type);
    add(late_new, late_type);
    if (in.kind != PassKind::Preflight) {
        mem.last_created = static_cast<long>(early_new.size() + late_new.size());
        mem.last_projection = project_need(in.mutexes, in.facts, in.kind);
    }
    if (in.settings.protect && in.user_known) protect_sets(mem, kernel, log);

    mem.record.phase = RunPhase::Running;
    mem.record.written_at = in.now;
    save_record(mem, log);
    if (AnchorBlock* b = anchor_block(mem.anchor)) {
        b->live_generation.store(in.generation);
        b->retiring.store(0);
    }
    mem.before = std::move(after);  // the next pass starts from here
    mem.after_mpm = Snapshot{};
}

}  // namespace semguard
