// Crashes and the reclaim at the next start, look-alike sets, the state file
// and the anchor, driven as httpd drives the engine
// (see tests/support/lifecycle_fixture.h).
#include "lifecycle_fixture.h"

namespace semguard {
namespace {

using namespace semguard::test;  // NOLINT: the fixture's steps and constants

namespace fs = std::filesystem;

// ---- crashes and reclaim ----------------------------------------------------------

TEST_F(LifecycleTest, CrashedRunIsReclaimedAtTheNextStart) {
    PassSets s = start_server();
    fork_children(s);
    const Record crashed = state();
    // kill -9 of the parent, the children follow (they notice the parent gone).
    probe_.remove_process(kParentPid);
    probe_.remove_process(kChildA);
    probe_.remove_process(kChildB);
    ASSERT_TRUE(exists(s.accept) && exists(s.cache) && exists(s.map));

    RunMemory next;
    PassSets n;
    ASSERT_EQ(next_start(next, n), PassVerdict::Proceed);
    EXPECT_FALSE(exists(s.accept));
    EXPECT_FALSE(exists(s.cache));
    EXPECT_FALSE(exists(s.map));
    ASSERT_EQ(log_.count(tag::kReclaimed), 1u) << log_.dump();
    const std::string text = log_.text_of(tag::kReclaimed);
    EXPECT_TRUE(
        contains(text, "reclaimed 3 stale semaphore set(s) of the previous run (parent pid 101)"))
        << text;
    EXPECT_TRUE(contains(text, std::to_string(s.accept) + " (mpm-accept)")) << text;
    EXPECT_TRUE(contains(text, std::to_string(s.cache) + " (ssl-cache)")) << text;
    EXPECT_TRUE(contains(text, std::to_string(s.map) + " (rewrite-map)")) << text;
    EXPECT_TRUE(log_.has(tag::kPostMortem, "ended without a clean shutdown")) << log_.dump();
    EXPECT_EQ(next.startup.reclaimed.size(), 3u);
    EXPECT_EQ(next.reclaimed_total, 3u);
    for (const auto& v : next.startup.reclaimed) EXPECT_EQ(v.old_parent_pid, kParentPid);
    EXPECT_TRUE(contains(next.startup.post_mortem, "generation 1")) << next.startup.post_mortem;
    auto old_anchor = probe_.stat_anchor(crashed.run.anchor_shmid);
    ASSERT_TRUE(old_anchor.ok());
    EXPECT_FALSE(old_anchor->has_value()) << "the old run's anchor is reclaimed too";
    EXPECT_TRUE(parked().empty());
    // What was reclaimed is gone, not a look-alike.
    EXPECT_TRUE(next.lookalikes.empty());
    EXPECT_EQ(log_.count(tag::kLookalikes), 0u) << log_.dump();
    // The new run recorded its own sets, not the old ones.
    const Record r = state();
    EXPECT_EQ(r.run.parent_pid, 200);
    EXPECT_EQ(r.sets.size(), 3u);
    EXPECT_NE(r.run.anchor_shmid, crashed.run.anchor_shmid);
    EXPECT_EQ(find_set(r, s.accept), nullptr);
}

TEST_F(LifecycleTest, CrashInTheMiddleOfThePreflightIsReclaimed) {
    // The preflight died after creating the accept mutex, before end_pass.
    const PassInput in = input(PassKind::Preflight, 0);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    clock_->advance(1);
    const int accept = httpd_creates(kPreflightPid);
    mark_after_mpm(mem_, kernel_, in.kind);
    const int cache = httpd_creates(kPreflightPid);
    clock_->advance(1);
    probe_.remove_process(kPreflightPid);
    ASSERT_EQ(state().phase, RunPhase::Starting);

    clock_->advance(10);
    probe_.set_self(200, 2000);
    RunMemory next;
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), next, kernel_, probe_, log_),
              PassVerdict::Proceed);
    // Noted in the anchor after the MPM's hook: provably the run's.
    EXPECT_FALSE(exists(accept));
    EXPECT_EQ(next.startup.reclaimed.size(), 1u);
    // Made after the last note: only a pid ties it to the dead run. Kept, named.
    EXPECT_TRUE(exists(cache));
    EXPECT_TRUE(log_.has(tag::kUnprovenSets, "ipcs -s -i " + std::to_string(cache))) << log_.dump();
}

TEST_F(LifecycleTest, RunWithLiveChildrenIsParkedAndReclaimedLater) {
    PassSets s = start_server();
    fork_children(s);
    const Record first = state();
    probe_.remove_process(kParentPid);  // only the parent was killed

    // Second start while run 1's children still serve: nothing of it is touched.
    RunMemory second;
    PassSets pre2;
    ASSERT_EQ(next_start(second, pre2), PassVerdict::Proceed);
    EXPECT_TRUE(exists(s.accept) && exists(s.cache) && exists(s.map));
    EXPECT_EQ(log_.count(tag::kRunAlive), 1u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u) << log_.dump();
    EXPECT_EQ(second.startup.kept.size(), 3u);
    EXPECT_EQ(second.kept_total, 3u);
    const std::string parked_file = parked_path(settings_.state_file, first.run);
    EXPECT_EQ(parked_file, settings_.state_file + ".parked.101.1001");
    ASSERT_EQ(parked(), std::vector<std::string>{parked_file});
    const Record kept = state(parked_file);
    EXPECT_EQ(kept.run.parent_pid, kParentPid);
    EXPECT_EQ(kept.sets.size(), 3u);
    // The old sets are this server's, not look-alikes.
    EXPECT_TRUE(second.lookalikes.empty());
    EXPECT_EQ(log_.count(tag::kLookalikes), 0u) << log_.dump();

    // Run 2 serves and stops cleanly.
    clear_pconf(second, pre2);
    detach(200, 201, 2001);
    PassSets real2;
    ASSERT_EQ(pass(second, PassKind::FirstReal, 1, 201, real2, log_), PassVerdict::Proceed);
    parent_exit(second, kernel_, probe_, log_, clock_->now());
    clear_pconf(second, real2);
    ASSERT_TRUE(kernel_.remove_set(pre2.cache).ok());
    probe_.remove_process(201);

    // Run 1's children are gone at last.
    probe_.remove_process(kChildA);
    probe_.remove_process(kChildB);

    RunMemory third;
    PassSets pre3;
    ASSERT_EQ(next_start(third, pre3, 300), PassVerdict::Proceed);
    EXPECT_FALSE(exists(s.accept));
    EXPECT_FALSE(exists(s.cache));
    EXPECT_FALSE(exists(s.map));
    EXPECT_TRUE(log_.has(tag::kReclaimed, "(parent pid 101)")) << log_.dump();
    EXPECT_EQ(third.startup.reclaimed.size(), 3u);
    EXPECT_TRUE(parked().empty()) << "the parked record is done with";
    EXPECT_FALSE(fs::exists(parked_file));
    // The latest run stopped cleanly (no post-mortem for it); the parked run
    // crashed meanwhile, and this is the first start that can say so.
    ASSERT_EQ(log_.count(tag::kPostMortem), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "parent pid 101")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "ended without a clean shutdown")) << log_.dump();
    EXPECT_TRUE(contains(third.startup.post_mortem, "parent pid 101")) << third.startup.post_mortem;
}

TEST_F(LifecycleTest, DryRunParksTheRecordForALaterStartWithOn) {
    PassSets s = start_server();
    probe_.remove_process(kParentPid);
    settings_.reclaim = ReclaimMode::DryRun;
    probe_.set_self(200, 2000);
    RunMemory second;
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), second, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_TRUE(exists(s.accept) && exists(s.cache) && exists(s.map));
    EXPECT_EQ(second.startup.would_reclaim.size(), 3u);
    EXPECT_EQ(second.startup.mode, "dryrun");
    EXPECT_EQ(log_.count(tag::kDryRun), 1u) << log_.dump();
    EXPECT_EQ(parked().size(), 1u);
    // Run 2 dies in its preflight too; with On the next start removes run 1's sets.
    probe_.remove_process(200);
    settings_.reclaim = ReclaimMode::On;
    probe_.set_self(300, 3000);
    RunMemory third;
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), third, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_FALSE(exists(s.accept));
    EXPECT_FALSE(exists(s.cache));
    EXPECT_FALSE(exists(s.map));
    EXPECT_TRUE(parked().empty());
}

// A start killed between creating its anchor and recording it leaves a
// segment no record names; the next start with SemGuardReclaim On removes it
// when it is this instance's, and nothing attached to it.
class OrphanAnchorTest : public LifecycleTest {
protected:
    // A process `pid` creates a 4096-byte segment and dies (or not).
    int segment(pid_t pid, const std::string& digest, bool block, bool dies,
                uint64_t bytes = kAnchorBytes) {
        probe_.set_self(pid, 10000 + pid);
        // At the next free key of the instance whose digest it carries (or ours).
        const std::string owner = digest.size() == 16 ? digest : instance().digest();
        int slot = 0;
        while (probe_.find_anchor(anchor_key(owner, slot)).value()) ++slot;
        auto a = probe_.create_anchor(bytes, anchor_key(owner, slot));
        EXPECT_TRUE(a.ok());
        if (block) anchor_init(a->address, 0, digest);
        if (dies) probe_.remove_process(pid);
        return a->info.shmid;
    }
    bool segment_exists(int shmid) {
        auto a = probe_.stat_anchor(shmid);
        return a.ok() && a->has_value();
    }
    void setup_world() {
        ours_ = segment(150, instance().digest(), true, true);
        other_instance_ = segment(151, "fedcba9876543210", true, true);
        attached_ = segment(152, instance().digest(), true, false);
        no_block_ = segment(153, "", false, true);
        other_size_ = segment(154, instance().digest(), true, true, 8192);
        probe_.set_self(200, 2000);
    }
    int ours_ = -1, other_instance_ = -1, attached_ = -1, no_block_ = -1, other_size_ = -1;
};

TEST_F(OrphanAnchorTest, OnlyOurUnattachedAnchorIsRemoved) {
    setup_world();
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_FALSE(segment_exists(ours_));
    EXPECT_TRUE(segment_exists(other_instance_));
    EXPECT_TRUE(segment_exists(attached_));
    EXPECT_TRUE(segment_exists(no_block_));
    EXPECT_TRUE(segment_exists(other_size_));
    EXPECT_TRUE(log_.has(tag::kOrphanAnchors, "removed 1 anchor segment(s)")) << log_.dump();
    // The new run's own anchor is there and named in the state file.
    EXPECT_TRUE(segment_exists(state().run.anchor_shmid));
}

TEST_F(OrphanAnchorTest, SquattedKeyIsSkippedAndSaid) {
    const int squat =
        probe_.squat_key(anchor_key(instance().digest(), 0), 65534, 4321, kAnchorBytes);
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_TRUE(segment_exists(squat));
    EXPECT_TRUE(log_.has(tag::kKeySquatted, "uid 65534")) << log_.dump();
    EXPECT_EQ(log_.first(tag::kKeySquatted).level, Level::Warn);
    // The new run's anchor took the next key.
    const Record r = state();
    ASSERT_GE(r.run.anchor_shmid, 0);
    auto next = probe_.find_anchor(anchor_key(instance().digest(), 1));
    ASSERT_TRUE(next.ok() && next.value());
    EXPECT_EQ(next.value()->shmid, r.run.anchor_shmid);
}

TEST_F(OrphanAnchorTest, NothingIsRemovedUnlessReclaimIsOn) {
    for (ReclaimMode mode : {ReclaimMode::DryRun, ReclaimMode::Off}) {
        setup_world();
        settings_.reclaim = mode;
        RunMemory mem;
        begin_pass(input(PassKind::Preflight, 0), mem, kernel_, probe_, log_);
        EXPECT_TRUE(segment_exists(ours_)) << to_string(mode);
        EXPECT_FALSE(log_.has(tag::kReclaimed, "anchor segment")) << log_.dump();
    }
}

TEST_F(LifecycleTest, LookalikesAreListedNotTouched) {
    // Another httpd instance's set: no key, one semaphore, 0600, owned by User.
    auto other = kernel_.create_set(0, 1, 0600, kWww, kWwwGroup, 0, 0, 7000);
    ASSERT_TRUE(other.ok());
    PassSets pre;
    pass(PassKind::Preflight, 0, kPreflightPid, pre);
    EXPECT_EQ(mem_.lookalikes, std::vector<int>{*other});
    EXPECT_EQ(mem_.startup.lookalikes, std::vector<int>{*other});
    ASSERT_EQ(log_.count(tag::kLookalikes), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kLookalikes).level, Level::Info);
    EXPECT_TRUE(log_.has(tag::kLookalikes, "Ids: " + std::to_string(*other))) << log_.dump();
    EXPECT_TRUE(exists(*other));
    const Record r = state();
    EXPECT_EQ(find_set(r, *other), nullptr);
}

TEST_F(LifecycleTest, RecordedIdNowNamingAnotherSetIsALookalike) {
    // Another httpd's set, shaped like ours, carries an id our old record names
    // (ids recycle): it is not ours, so it is listed, and never removed.
    auto other = kernel_.create_set(0, 1, 0600, kWww, kWwwGroup, 0, 0, 7000);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(kernel_.set_value(*other, 0, 1, 7000).ok());
    Record old;
    old.instance = instance();
    old.run.parent_pid = 90;
    old.run.parent_start_ticks = 900;
    old.run.boot_id = probe_.boot_id();
    old.run.anchor_shmid = -1;
    old.phase = RunPhase::Running;
    old.generation = 1;
    old.written_at = clock_->now() - 100;
    RecordedSet r;
    r.identity = kernel_.stat_set(*other).value();
    r.identity.ctime -= 50;  // ours was made earlier
    r.type = "mpm-accept";
    old.sets.push_back(r);
    ASSERT_TRUE(write_state_file(settings_.state_file, old).ok());
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_TRUE(exists(*other));
    EXPECT_EQ(mem_.lookalikes, std::vector<int>{*other});
    EXPECT_TRUE(log_.has(tag::kLookalikes, "Ids: " + std::to_string(*other))) << log_.dump();
}

TEST_F(LifecycleTest, UnreadableStateFileIsReportedAndRewritten) {
    {
        FILE* f = std::fopen(settings_.state_file.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("this is not a record\n", f);
        std::fclose(f);
        ::chmod(settings_.state_file.c_str(), 0600);
    }
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_EQ(log_.count(tag::kStateRejected), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kStateRejected, settings_.state_file)) << log_.dump();
    EXPECT_TRUE(contains(mem_.startup.summary, "state file is not trusted"))
        << mem_.startup.summary;
    EXPECT_EQ(state().phase, RunPhase::Starting);
}

TEST_F(LifecycleTest, UnwritableStateFileIsReported) {
    settings_.state_file = dir_ + "/missing-dir/semguard.state";
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_GE(log_.count(tag::kStateUnwritable), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kStateUnwritable, "a crash of this run could not be reclaimed"))
        << log_.dump();
}

TEST_F(LifecycleTest, NoAnchorIsReported) {
    probe_.fail_next(FakeRunProbe::Op::CreateAnchor, ENOSPC);
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_EQ(log_.count(tag::kNoAnchor), 1u) << log_.dump();
    EXPECT_EQ(state().run.anchor_shmid, -1);
    EXPECT_EQ(mem_.anchor, nullptr);
}

}  // namespace
}  // namespace semguard
