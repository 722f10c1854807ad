// Randomized test of the reclaim proof (issue #10): thousands of worlds over the
// fake kernel and probe, each interleaving crashes, parent-only kills, orphans,
// pid reuse, outside IPC_SET / IPC_RMID on the anchor, readers of other starts,
// sets noted or not, and foreign creations. The invariant, checked in every one:
// a set is removed only if it is one of the dead run's own sets, exactly as it
// was made, and no process of that run is alive.
#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "capture_logger.h"
#include "fake_kernel.h"
#include "run/anchor_block.h"
#include "run/attribution.h"
#include "run/reclaim.h"

namespace semguard {
namespace {

constexpr pid_t kParent = 100;
constexpr uint64_t kParentTicks = 1000;
constexpr uid_t kRoot = 0;

InstanceIdentity self_instance() { return {"/srv/a", "/srv/a/httpd.conf", "/srv/a/httpd.pid"}; }

struct World {
    std::shared_ptr<TestClock> clock = std::make_shared<TestClock>();
    FakeSemKernel kernel{clock};
    FakeRunProbe probe{clock, kParent, kParentTicks};
    CaptureLogger log;
    Record rec;
    int anchor = -1;
    void* mem = nullptr;
    std::set<std::pair<int, int64_t>> own;  // (semid, ctime) of every set the run made
    std::set<pid_t> run_alive{kParent};     // processes of the run still alive
    pid_t next_pid = 2000;

    int create(pid_t pid, int32_t key = 0, uid_t cuid = kRoot, bool lock = false) {
        auto id = kernel.create_set(key, 1, 0600, cuid, cuid, cuid, cuid, pid);
        EXPECT_TRUE(id.ok());
        EXPECT_TRUE(kernel.set_value(*id, 0, 1, pid).ok());
        if (lock) {
            EXPECT_TRUE(kernel.semop(*id, 0, -1, pid).ok());
            EXPECT_TRUE(kernel.semop(*id, 0, 1, pid).ok());
        }
        return *id;
    }
    int64_t ctime(int id) { return kernel.stat_set(id)->ctime; }
    void end(pid_t pid) {
        probe.remove_process(pid);
        run_alive.erase(pid);
    }
};

// Returns how many sets the engine removed (so the test is known not to be vacuous).
size_t run_case(unsigned seed) {
    std::mt19937 rng(seed);
    auto chance = [&](int percent) { return static_cast<int>(rng() % 100) < percent; };
    auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<unsigned>(n)); };
    World w;

    auto a = w.probe.create_anchor(4096, chance(50) ? 0x53001230 : 0);
    if (!a.ok()) {
        ADD_FAILURE() << "create_anchor";
        return 0;
    }
    w.anchor = a->info.shmid;
    w.mem = a->address;
    anchor_init(w.mem, 1, self_instance().digest());
    w.rec.instance = self_instance();
    w.rec.run.parent_pid = kParent;
    w.rec.run.parent_start_ticks = kParentTicks;
    w.rec.run.boot_id = w.probe.boot_id();
    w.rec.run.euid = kRoot;
    w.rec.run.anchor_shmid = w.anchor;
    w.rec.run.anchor_creator = a->info.creator_pid;
    w.rec.run.anchor_ctime = a->info.ctime;
    w.rec.generation = 1;
    w.clock->advance(1 + pick(3));

    // The run's recorded sets.
    for (int i = 0, n = 1 + pick(3); i < n; ++i) {
        const int id = w.create(kParent);
        RecordedSet r;
        r.identity = w.kernel.stat_set(id).value();
        r.creator_pid = kParent;
        r.generation = 1;
        w.rec.sets.push_back(r);
        w.own.insert({id, w.ctime(id)});
    }
    const bool starting = chance(50);
    w.rec.phase = starting ? RunPhase::Starting : RunPhase::Running;
    w.rec.written_at = w.clock->now();
    if (chance(50)) w.clock->advance(pick(2));
    // Children, forked by the parent: attached to the anchor.
    for (int i = 0, n = pick(3); i < n; ++i) {
        const pid_t child = w.next_pid++;
        w.probe.fork_process(kParent, child, kParentTicks + 10 + i);
        w.run_alive.insert(child);
        for (const auto& r : w.rec.sets)
            if (chance(50)) {
                EXPECT_TRUE(w.kernel.semop(r.identity.semid, 0, -1, child).ok());
                EXPECT_TRUE(w.kernel.semop(r.identity.semid, 0, 1, child).ok());
            }
    }
    // Sets of a pass the parent does not live to record: some noted, some not.
    if (starting) {
        for (int i = 0, n = pick(3); i < n; ++i) {
            const int id = w.create(kParent);
            w.own.insert({id, w.ctime(id)});
            if (chance(60)) anchor_note_set(*anchor_block(w.mem), id, w.ctime(id));
        }
    }

    // Events, in random order.
    std::vector<int> events{0, 1, 2, 3, 4, 5, 6, 7, 8};
    std::shuffle(events.begin(), events.end(), rng);
    std::vector<pid_t> readers;
    for (int e : events) {
        if (!chance(55)) continue;
        w.clock->advance(pick(2));
        switch (e) {
            case 0:  // the parent is killed (alone, or first)
                if (w.run_alive.count(kParent)) w.end(kParent);
                break;
            case 1: {  // some children exit (orphans may stay)
                std::vector<pid_t> alive(w.run_alive.begin(), w.run_alive.end());
                for (pid_t p : alive)
                    if (p != kParent && chance(70)) w.end(p);
                break;
            }
            case 2:  // the parent's pid is reused; the newcomer makes a set (never locked)
                if (!w.run_alive.count(kParent)) {
                    w.probe.add_process(kParent, kParentTicks + 5000 + pick(100));
                    w.create(kParent);
                    if (chance(50)) w.probe.remove_process(kParent);
                }
                break;
            case 3:  // root's IPC_SET on the anchor
                (void)w.probe.change_anchor(w.anchor, kRoot, chance(50) ? 0600 : 0640);
                break;
            case 4:  // root's IPC_RMID on the anchor
                (void)w.probe.remove_anchor(w.anchor);
                break;
            case 5: {  // another start reads the anchor: momentary or lasting attach
                const pid_t reader = w.next_pid++;
                w.probe.add_process(reader, 9000 + reader);
                if (w.probe.attach_anchor(w.anchor, reader).ok()) readers.push_back(reader);
                break;
            }
            case 6:  // foreign creations: other pids, other users, keyed
                w.create(w.next_pid++);
                w.create(w.next_pid++, 0x1234 + pick(100));
                w.create(w.next_pid++, 0, 33, chance(50));
                break;
            case 7:  // a recorded set removed from outside, its id maybe reused
                if (!w.rec.sets.empty()) {
                    (void)w.kernel.remove_set(
                        w.rec.sets[pick(static_cast<int>(w.rec.sets.size()))].identity.semid);
                    w.create(w.next_pid++);
                }
                break;
            case 8:  // a creator pid seen from another PID namespace
                (void)w.probe.set_anchor_creator_view(w.anchor, chance(50) ? 0 : 4711);
                break;
        }
    }
    // Readers leave during the engine's pauses, or stay.
    const bool readers_stay = chance(30);
    w.probe.on_pause([&] {
        if (readers_stay) return;
        for (pid_t r : readers) (void)w.probe.detach_anchor(w.anchor, r);
        readers.clear();
    });

    w.clock->advance(30);
    w.probe.set_self(300, 900000);
    ReclaimSettings rs;
    rs.self = self_instance();
    const Snapshot live = take_snapshot(w.kernel);
    EXPECT_TRUE(live.ok);
    const std::set<pid_t> alive_then = w.run_alive;
    const ReclaimOutcome out = reclaim_previous_run(w.kernel, w.probe, w.rec, live.sets, rs, w.log);

    for (const auto& r : out.removed) {
        EXPECT_TRUE(w.own.count({r.identity.semid, r.identity.ctime}))
            << "seed " << seed << ": removed set " << r.identity.semid << " is not the run's own\n"
            << out.run_verdict << "\n"
            << w.log.dump();
        EXPECT_TRUE(alive_then.empty())
            << "seed " << seed << ": removed set " << r.identity.semid << " while "
            << alive_then.size() << " process(es) of the run live\n"
            << out.run_verdict;
    }
    return out.removed.size();
}

TEST(ReclaimRandom, SetRemovedOnlyIfTheDeadRunsOwnAndNoProcessOfItAlive) {
    const unsigned base = 0x5eed10;
    int removing_cases = 0;
    for (unsigned i = 0; i < 4000; ++i) {
        if (run_case(base + i) > 0) ++removing_cases;
        if (::testing::Test::HasFailure()) {
            ADD_FAILURE() << "first failing seed: " << (base + i);
            return;
        }
    }
    // Not vacuous: many worlds end with a provably dead run whose sets go.
    EXPECT_GT(removing_cases, 400);
}

}  // namespace
}  // namespace semguard
