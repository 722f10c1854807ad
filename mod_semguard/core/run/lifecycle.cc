#include "run/lifecycle.h"

#include <algorithm>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include <set>

#include "diagnosis/owners.h"
#include "run/anchor_block.h"
#include "run/anchor_home.h"
#include "run/carried_sets.h"
#include "run/census.h"
#include "run/span_marks.h"
#include "run/start_run.h"
#include "log/messages.h"
#include "record/record_codec.h"
#include "record/state_file.h"

namespace semguard {

namespace {

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

// Drops the sets of `gone` (a few) from a snapshot (sorted by semid), in
// place: a binary search each, no pass over the other sets.
void forget(Snapshot& snapshot, const std::vector<int>& gone) {
    auto& sets = snapshot.sets;
    for (int id : gone) {
        auto at = std::lower_bound(sets.begin(), sets.end(), id,
                                   [](const SetInfo& s, int semid) { return s.semid < semid; });
        if (at != sets.end() && at->semid == id) sets.erase(at);
    }
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

void protect_sets(RunMemory& mem, SemKernel& kernel, Logger& log) {
    for (auto& rec : mem.record.sets) {
        SetInfo& id = rec.identity;
        // Kept by the parent for itself (root's, no access for group or others):
        // already out of User's reach, and handing it to the group would change it.
        if (id.uid == id.cuid && id.uid == 0 && (id.mode & 0066) == 0) {
            rec.is_protected = true;
            continue;
        }
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

void note_new_sets(RunMemory& mem, SemKernel& kernel, const std::vector<SetInfo>& fresh) {
    AnchorBlock* b = anchor_block(mem.anchor);
    if (!b) return;
    // This process is alive and running this code: a set it touched last and
    // made while it was alive (not in its baseline) is its own.
    const pid_t self = mem.record.run.parent_pid;
    for (const auto& s :
         created_by(kernel, after_baseline(mem, fresh, self), self, mem.record.run.euid))
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
    const bool enabled_by_reload = in.kind == PassKind::Restart && !mem.started;
    if (in.kind == PassKind::Preflight || !mem.started)
        before = start_run(in, mem, kernel, probe, log);
    if (enabled_by_reload && before.ok) {
        std::vector<int> known;
        for (const auto& k : mem.startup.kept) known.push_back(k.semid);
        for (const auto& w : mem.startup.would_reclaim) known.push_back(w.semid);
        mem.unvouched = sets_not_vouched_for(before, kernel, probe, known);
        mem.startup.unvouched = mem.unvouched;
        // Only a set last used by the parent or a live child can be told
        // from another program's. One the server made before it detached
        // (mod_ssl's session cache) was last used by a process that has
        // exited: it is never found here, so the message says so instead of
        // "none" (found by an adversarial test).
        std::string what =
            (mem.unvouched.empty()
                 ? std::string("no set last used by the running server's processes (its parent "
                               "and children) was found unrecorded")
                 : std::to_string(mem.unvouched.size()) +
                       " set(s) last used by the running server's processes (" +
                       bounded_id_list(mem.unvouched) +
                       ") cannot be vouched for: they are not recorded, and a crash would leave "
                       "them behind") +
            "; nor can a set it made before it detached (mod_ssl's session cache, for one), "
            "whose last user has exited";
        log.log(mem.unvouched.empty() ? Level::Notice : Level::Warn, tag::kUnvouched,
                "enabled by a reload (generation " + std::to_string(in.generation) + "): " + what +
                    ". Sets made from this generation on are recorded; a full restart "
                    "(systemctl restart apache2) enrolls every set of the server");
    } else if (in.kind == PassKind::Restart) {
        // Another instance may have taken over the state file since our start.
        const StateFileResult state =
            read_state_file(in.settings.state_file, probe.effective_uid());
        if (state.outcome == StateFileOutcome::Ok && state.record.instance != in.instance)
            warn_shared_state_file(in.settings.state_file, state.record.instance, log);
    }

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
    // Sets of the last listing this process knows are gone: what the reclaim
    // removed, and the previous pass's sets that httpd's cleanups removed.
    std::vector<int> gone;
    for (const auto& r : mem.startup.reclaimed) gone.push_back(r.semid);
    for (const auto& r : mem.record.sets)
        if (std::none_of(carried.begin(), carried.end(), [&](const RecordedSet& c) {
                return c.identity.semid == r.identity.semid;
            }))
            gone.push_back(r.identity.semid);
    if (in.kind == PassKind::Restart && !enabled_by_reload) {
        mem.restart_growth = left_behind(carried, in.generation - 1);
        if (!mem.restart_growth.empty()) {
            std::string who;
            long total = 0;
            for (const auto& g : mem.restart_growth) {
                who += (who.empty() ? "" : ", ") + g.module + ": " + std::to_string(g.sets) +
                       " set(s)";
                total += g.sets;
            }
            log.log(
                Level::Warn, tag::kRestartGrowth,
                "the graceful restart to generation " + std::to_string(in.generation) + " left " +
                    std::to_string(total) + " set(s) of generation " +
                    std::to_string(in.generation - 1) + " behind (" + who + " per restart); " +
                    std::to_string(carried.size()) +
                    " set(s) of this run now outlive their generation. Nothing in use is "
                    "removed; they go at a clean stop, or at the next start after a crash. "
                    "Repeated at every restart, this uses up SEMMNI: update or report the module");
        }
    }

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

    // The sets this pass starts from: start_run's listing; else a listing of
    // its own, the baseline of its ownership proof (span_marks.h). The real
    // pass after httpd detached is a new process, born after the preflight's
    // listing; a graceful restart may come hours later, when ids can have come
    // back; and without a detach (apache2 -X, -DFOREGROUND) the sequence number
    // may have gone all the way round while httpd read its configuration
    // again. Less the sets this process knows are gone.
    const pid_t self = probe.self_pid();
    if (before.ok)
        mem.before = std::move(before);
    else
        mem.before = list_for_pass(mem, kernel, self);
    forget(mem.before, gone);

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
        // The preflight logs no warning (log_headroom): only a failure's report.
        const bool report_due = !mem.headroom.failure.empty() ||
                                (!mem.headroom.warning.empty() && in.kind != PassKind::Preflight);
        if (report_due) {
            // Who holds the sets, next to the limit (SG0110/SG0111): a report,
            // so the sets this pass starts from serve instead of one more
            // listing of the table (issue #15: near the limit, as in the
            // benchmark's 30,000 sets, that was one more per pass).
            hi.owners = owners_in_use(mem.before, mem, in.user_uid);
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

    watch_from(mem, kernel);
    mem.record.sets = carried;
    if (AnchorBlock* b = anchor_block(mem.anchor)) anchor_begin_notes(*b, in.generation);
    mem.record.phase = RunPhase::Starting;
    mem.record.generation = in.generation;
    mem.record.written_at = in.now;
    save_record(mem, log);
    return PassVerdict::Proceed;
}

void mark_after_mpm(RunMemory& mem, SemKernel& kernel, PassKind) {
    // In the preflight too: its sets are noted in the anchor, and the mark's
    // sets are checked in end_pass with the others (it only types nothing).
    mem.after_mpm = take_mark(mem, kernel);
    if (mem.after_mpm.ok) note_new_sets(mem, kernel, mem.after_mpm.fresh);
}

void mark_span(RunMemory& mem, SemKernel& kernel) {
    mem.span_marks.push_back(take_mark(mem, kernel));
    // Write-ahead: a parent killed before end_pass then leaves unproven
    // (SG0211) only the sets of the span it was killed in.
    if (mem.span_marks.back().ok) note_new_sets(mem, kernel, mem.span_marks.back().fresh);
}

std::string set_origin(const RecordedSet& set) {
    if (!set.type.empty()) return set.type;
    if (!set.module.empty()) return set.module + ", outside httpd's Mutex table";
    return "unknown";
}

void end_pass(const PassInput& in, RunMemory& mem, SemKernel& kernel, RunProbe& probe, Logger& log,
              const std::vector<WindowHook>& window1, const std::vector<WindowHook>& window2,
              const std::vector<std::vector<WindowHook>>& spans) {
    const pid_t self = probe.self_pid();
    const uid_t euid = probe.effective_uid();
    const PassEnd end = take_end(mem, kernel, self, euid);
    if (!end.ok) {
        log.log(Level::Warn, tag::kKernelUnreadable,
                "cannot list semaphore sets, this generation's sets are not recorded: " +
                    end.error.describe());
        return;
    }
    // take_end closed the chain of marks: ordered marks are exact;
    // cheap marks whose claim a removal may have fooled merge their spans into
    // the next, so the sets may be "unknown", never wrongly named.
    // The spans in order, each closing the hooks that ran before its mark. A
    // mark that failed merges its hooks into the next span.
    struct Span {
        std::vector<WindowHook> hooks;
        std::vector<SetInfo> sets;
    };
    std::vector<Span> chain(1);
    chain[0].hooks = window1;
    std::vector<std::pair<int, size_t>> span_of;  // semid -> the span whose mark first saw it
    std::vector<int> merged;  // sets seen by marks whose spans merge into the next
    auto close_at = [&](const SpanMark& mark, const std::vector<WindowHook>& next, bool typed) {
        if (!mark_holds(mem, mark) || !typed) {
            chain.back().hooks.insert(chain.back().hooks.end(), next.begin(), next.end());
            for (const auto& s : mark.fresh) merged.push_back(s.semid);
            return;
        }
        for (int id : merged) span_of.emplace_back(id, chain.size() - 1);
        merged.clear();
        for (const auto& s : mark.fresh) span_of.emplace_back(s.semid, chain.size() - 1);
        chain.push_back({next, {}});
    };
    // The preflight's sets are not typed by window (httpd removes them before the real pass).
    close_at(mem.after_mpm, window2, in.kind != PassKind::Preflight);
    if (spans.size() == mem.span_marks.size()) {
        for (size_t i = 0; i < spans.size(); ++i) close_at(mem.span_marks[i], spans[i], true);
    } else {
        for (const auto& sp : spans)
            chain.back().hooks.insert(chain.back().hooks.end(), sp.begin(), sp.end());
    }
    for (const auto& s : created_by(kernel, after_baseline(mem, end.made, self), self, euid)) {
        size_t at = chain.size() - 1;
        auto it = std::find_if(span_of.begin(), span_of.end(),
                               [&](const std::pair<int, size_t>& p) { return p.first == s.semid; });
        if (it != span_of.end()) at = it->second;
        chain[at].sets.push_back(s);
    }

    long created = 0;
    for (const auto& span : chain) {
        const auto& fresh = span.sets;
        if (fresh.empty()) continue;
        const int n = static_cast<int>(fresh.size());
        const std::string type = certain_type(in.mutexes, in.facts, in.kind, span.hooks, n);
        const std::string module =
            type.empty() ? certain_module(in.mutexes, in.facts, in.kind, span.hooks, n) : "";
        const bool unexplained_ran =
            std::any_of(span.hooks.begin(), span.hooks.end(),
                        [](const WindowHook& h) { return module_unexplained(h.module); });
        for (const auto& s : fresh) {
            if (unexplained_ran) mem.maybe_foreign.push_back(s.semid);
            RecordedSet r;
            r.identity = s;
            r.type = type;
            r.module = module;
            r.creator_pid = self;
            r.generation = in.generation;
            mem.record.sets.push_back(r);
        }
        created += n;
    }
    if (in.kind != PassKind::Preflight) {
        mem.last_created = created;
        mem.last_projection = project_need(in.mutexes, in.facts, in.kind);
    }
    if (in.settings.protect && in.user_known && in.one_process) {
        // Re-owned to root, the sets would outlive the process: it exits as
        // User, and httpd's cleanups could not remove them. No child to protect them from.
        if (in.kind != PassKind::Preflight)
            log.log(Level::Notice, tag::kOneProcessUnprotected,
                    "one-process mode (apache2 -X): SemGuardProtect On is not applied; the "
                    "process serves as User and removes its sets itself when it exits");
    } else if (in.settings.protect && in.user_known) {
        protect_sets(mem, kernel, log);
    }

    mem.record.phase = RunPhase::Running;
    mem.record.written_at = in.now;
    save_record(mem, log);
    // The census: SG0101 came before this pass's modules ran; now every set is
    // known. A run without sets has nothing to count (SG0101/SG0102 said why).
    if (in.kind != PassKind::Preflight && !mem.record.sets.empty())
        log.log(Level::Notice, tag::kCensus,
                "at the end of generation " + std::to_string(in.generation) + "'s configuration: " +
                    describe_census(take_census(mem.record.sets, in.mutexes)));
    if (AnchorBlock* b = anchor_block(mem.anchor)) {
        b->live_generation.store(in.generation);
        b->retiring.store(0);
    }
    mem.after_mpm = SpanMark{};
    mem.span_marks.clear();
    mem.watching = false;
    mem.segment_base = Snapshot{};
}

}  // namespace semguard
