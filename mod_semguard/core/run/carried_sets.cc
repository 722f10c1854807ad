#include "run/carried_sets.h"

#include <algorithm>

#include "mutex/mutex_knowledge.h"

namespace semguard {

namespace {

// httpd's mutexes: private, one semaphore each.
bool httpd_like(const SetInfo& s) { return s.key == 0 && s.nsems == 1; }

}  // namespace

// Sets that survived into this pass although their generation ended: what the
// previous generation's cleanups left behind, by module (or type).
std::vector<GrowthEntry> left_behind(const std::vector<RecordedSet>& carried, long previous) {
    std::vector<GrowthEntry> out;
    for (const auto& r : carried) {
        if (r.generation != previous) continue;
        const TypeKnowledge* k = knowledge_of(r.type);
        if (k && k->lifetime == Lifetime::Process) continue;  // kept for the run, by design
        const std::string who = !r.module.empty() ? r.module : !r.type.empty() ? r.type : "unknown";
        auto it = std::find_if(out.begin(), out.end(),
                               [&](const GrowthEntry& g) { return g.module == who; });
        if (it == out.end())
            out.push_back({who, 1});
        else
            ++it->sets;
    }
    return out;
}

// Enabled by a reload: the running server's earlier generations made sets that
// were never recorded. Those last touched by this parent or one of its children
// are probably its own; nothing proves it.
std::vector<int> sets_not_vouched_for(const Snapshot& live, SemKernel& kernel, RunProbe& probe,
                                      const std::vector<int>& known) {
    std::vector<int> out;
    const pid_t self = probe.self_pid();
    const uid_t euid = probe.effective_uid();
    for (const auto& s : live.sets) {
        if (s.cuid != euid || !httpd_like(s)) continue;
        if (std::find(known.begin(), known.end(), s.semid) != known.end()) continue;
        auto states = kernel.read_states(s.semid, s.nsems);
        if (!states) continue;
        bool ours = false;
        for (const auto& st : states.value()) {
            if (st.last_pid == self)
                ours = true;
            else if (st.last_pid > 0) {
                auto p = probe.process(st.last_pid);
                if (p && p->parent == self) ours = true;
            }
        }
        if (ours) out.push_back(s.semid);
    }
    return out;
}

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
    // A set made while a module unknown to us ran may be that module's: it
    // keeps "unknown" (or its module) rather than a guessed type.
    auto relabel = [&](const RecordedSet& r) {
        return r.type.empty() && r.module.empty() &&
               std::find(mem.maybe_foreign.begin(), mem.maybe_foreign.end(), r.identity.semid) ==
                   mem.maybe_foreign.end();
    };
    const int unknown = static_cast<int>(std::count_if(out.begin(), out.end(), relabel));
    if (unknown > 0) {
        // Having survived a reload of the configuration, they live in the process
        // pool: that often leaves a single candidate type.
        const std::string type = certain_process_lifetime_type(mutexes, facts, unknown);
        for (auto& r : out)
            if (relabel(r)) r.type = type;
    }
    return out;
}

}  // namespace semguard
