// reclaim_previous_run: the three proofs (run over, no process alive, same set
// and not in use) against a fake world, and everything it must never touch.
#include "run/reclaim.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "run/anchor_block.h"
#include "run/attribution.h"
#include "capture_logger.h"
#include "fake_kernel.h"
#include "log/messages.h"

namespace semguard {
namespace {

constexpr pid_t kOldParent = 100;
constexpr uint64_t kOldTicks = 1000;
constexpr pid_t kChild1 = 101;
constexpr pid_t kChild2 = 102;
constexpr pid_t kNewParent = 300;
constexpr uint64_t kNewTicks = 9000;
constexpr uid_t kRoot = 0;
constexpr uid_t kWww = 33;  // User www-data
constexpr gid_t kWwwGroup = 33;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

InstanceIdentity instance() {
    return {"/etc/apache2", "/etc/apache2/apache2.conf", "/run/apache2/apache2.pid"};
}

std::vector<int> ids(const std::vector<RecordedSet>& sets) {
    std::vector<int> out;
    for (const auto& s : sets) out.push_back(s.identity.semid);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<int> kept_ids(const std::vector<KeptSet>& sets) {
    std::vector<int> out;
    for (const auto& s : sets) out.push_back(s.set.identity.semid);
    std::sort(out.begin(), out.end());
    return out;
}

std::vector<int> sorted(std::vector<int> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// A world in which a previous run of this server (parent 100) created its
// anchor and its sets; each test ends that run its own way, then a new server
// (pid 300) looks at what is left.
class ReclaimTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto anchor = probe_.create_anchor(4096);
        ASSERT_TRUE(anchor.ok());
        anchor_ = anchor->info.shmid;
        anchor_mem_ = anchor->address;
        anchor_init(anchor_mem_, 1, instance().digest());
        previous_.instance = instance();
        previous_.run.parent_pid = kOldParent;
        previous_.run.parent_start_ticks = kOldTicks;
        previous_.run.boot_id = probe_.boot_id();
        previous_.run.euid = kRoot;
        previous_.run.anchor_shmid = anchor->info.shmid;
        previous_.run.anchor_creator = anchor->info.creator_pid;
        previous_.run.anchor_ctime = anchor->info.ctime;
        previous_.run.started_at = clock_->now();
        previous_.phase = RunPhase::Running;
        previous_.generation = 1;
        previous_.written_at = clock_->now();
        clock_->advance(5);
    }

    // What APR and httpd do for one sysvsem mutex: semget(IPC_PRIVATE, 1, 0600),
    // SETVAL 1, then IPC_SET to User/Group (ap_unixd_set_proc_mutex_perms).
    int httpd_creates(pid_t pid) {
        auto id = kernel_.create_set(0, 1, 0600, kRoot, kRoot, kRoot, kRoot, pid);
        EXPECT_TRUE(id.ok());
        EXPECT_TRUE(kernel_.set_value(*id, 0, 1, pid).ok());
        EXPECT_TRUE(kernel_.set_owner(*id, kWww, kWwwGroup, 0600).ok());
        return *id;
    }

    // A set the previous run created and recorded.
    int recorded(const std::string& type, long generation = 1) {
        const int id = httpd_creates(kOldParent);
        RecordedSet r;
        r.identity = kernel_.stat_set(id).value();
        r.type = type;
        r.creator_pid = kOldParent;
        r.generation = generation;
        previous_.sets.push_back(r);
        return id;
    }

    // The parent forks two children, which lock and unlock every set.
    void serve() {
        probe_.fork_process(kOldParent, kChild1, kOldTicks + 10);
        probe_.fork_process(kOldParent, kChild2, kOldTicks + 11);
        clock_->advance(5);
        for (const auto& r : previous_.sets) {
            for (pid_t child : {kChild1, kChild2}) {
                ASSERT_TRUE(kernel_.semop(r.identity.semid, 0, -1, child).ok());
                ASSERT_TRUE(kernel_.semop(r.identity.semid, 0, 1, child).ok());
            }
        }
        clock_->advance(5);
    }

    void parent_killed() {
        clock_->advance(1);
        probe_.remove_process(kOldParent);
    }
    void children_exit() {
        clock_->advance(1);
        probe_.remove_process(kChild1);
        probe_.remove_process(kChild2);
    }
    void become_new_server() {
        clock_->advance(60);
        probe_.set_self(kNewParent, kNewTicks);
    }

    ReclaimOutcome reclaim(ReclaimMode mode = ReclaimMode::On, bool post_mortem = true) {
        ReclaimSettings rs;
        rs.mode = mode;
        rs.self = instance();
        rs.report_post_mortem = post_mortem;
        const Snapshot live = take_snapshot(kernel_);
        EXPECT_TRUE(live.ok);
        return reclaim_previous_run(kernel_, probe_, previous_, live.sets, rs, log_);
    }

    bool exists(int semid) { return kernel_.stat_set(semid).ok(); }
    bool anchor_exists() {
        auto a = probe_.stat_anchor(anchor_);
        return a.ok() && a.value().has_value();
    }

    std::shared_ptr<TestClock> clock_ = std::make_shared<TestClock>();
    FakeSemKernel kernel_{clock_};
    FakeRunProbe probe_{clock_, kOldParent, kOldTicks};
    CaptureLogger log_;
    Record previous_;
    int anchor_ = -1;
    void* anchor_mem_ = nullptr;  // the old run's mapping, shared by its processes
};

// ---- (a) + (b): is the previous run over? -----------------------------------------

TEST_F(ReclaimTest, ParentStillRunningKeepsEverything) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    serve();
    become_new_server();  // a second server next to the live one
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over);
    EXPECT_TRUE(contains(out.run_verdict, "parent pid 100 is still running")) << out.run_verdict;
    EXPECT_TRUE(out.removed.empty());
    EXPECT_TRUE(out.would_remove.empty());
    EXPECT_EQ(kept_ids(out.kept), sorted({a, b}));
    for (const auto& k : out.kept) EXPECT_EQ(k.reason, out.run_verdict);
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(exists(b));
    EXPECT_TRUE(anchor_exists());
    EXPECT_FALSE(out.anchor_removed);
    EXPECT_EQ(log_.count(tag::kRunAlive), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kRunAlive, "keeping 2 set(s)")) << log_.dump();
    EXPECT_EQ(log_.count(tag::kKept), 0u) << "the reason is said once, in SG0209\n" << log_.dump();
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u);
    EXPECT_EQ(log_.count(tag::kPostMortem), 0u) << "no post-mortem of a live run";
    EXPECT_EQ(out.post_mortem, "");
}

TEST_F(ReclaimTest, ParentPidReusedAndAnchorGoneRemoves) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    serve();
    parent_killed();
    children_exit();
    ASSERT_TRUE(probe_.remove_anchor(anchor_).ok());  // someone ran ipcrm -m
    ASSERT_FALSE(anchor_exists());
    probe_.add_process(kOldParent, kOldTicks + 777);  // pid 100 is now another program
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over) << out.run_verdict;
    EXPECT_TRUE(contains(out.run_verdict, "anchor segment is gone")) << out.run_verdict;
    EXPECT_EQ(ids(out.removed), sorted({a, b}));
    EXPECT_TRUE(out.kept.empty());
    EXPECT_FALSE(exists(a));
    EXPECT_FALSE(exists(b));
    EXPECT_FALSE(out.anchor_removed);
    EXPECT_EQ(log_.count(tag::kReclaimed), 1u) << log_.dump();
}

TEST_F(ReclaimTest, ProcessesStillAttachedToTheAnchorKeepEverything) {
    const int a = recorded("mpm-accept");
    serve();
    parent_killed();  // SIGKILL of the parent; the children live on
    probe_.remove_process(kChild2);
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over);
    EXPECT_TRUE(contains(out.run_verdict, "1 process(es) of the previous run")) << out.run_verdict;
    EXPECT_TRUE(contains(out.run_verdict, "still alive")) << out.run_verdict;
    EXPECT_TRUE(out.removed.empty());
    EXPECT_EQ(kept_ids(out.kept), std::vector<int>{a});
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(anchor_exists());
    EXPECT_EQ(log_.count(tag::kRunAlive), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kRunAlive, "still alive")) << log_.dump();
    EXPECT_EQ(log_.first(tag::kRunAlive).level, Level::Warn);
}

TEST_F(ReclaimTest, AnchorWithNoAttachmentProvesTheEnd) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    const int c = recorded("");
    serve();
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over) << out.run_verdict;
    EXPECT_TRUE(contains(out.run_verdict, "no process is attached to its anchor segment"))
        << out.run_verdict;
    EXPECT_EQ(ids(out.removed), sorted({a, b, c}));
    EXPECT_FALSE(exists(a));
    EXPECT_FALSE(exists(b));
    EXPECT_FALSE(exists(c));
    EXPECT_TRUE(out.anchor_removed);
    EXPECT_FALSE(anchor_exists());
    ASSERT_EQ(log_.count(tag::kReclaimed), 1u) << log_.dump();
    const CapturedLine line = log_.first(tag::kReclaimed);
    EXPECT_EQ(line.level, Level::Notice);
    EXPECT_TRUE(contains(line.text, "reclaimed 3 stale semaphore set(s) of the previous run "
                                    "(parent pid 100): "))
        << line.text;
    EXPECT_TRUE(contains(line.text, std::to_string(a) + " (mpm-accept)")) << line.text;
    EXPECT_TRUE(contains(line.text, std::to_string(b) + " (rewrite-map)")) << line.text;
    EXPECT_TRUE(contains(line.text, std::to_string(c) + " (type unknown)")) << line.text;
    EXPECT_EQ(log_.count(tag::kKept), 0u);
    EXPECT_EQ(log_.count(tag::kRunAlive), 0u);
}

TEST_F(ReclaimTest, ZombieParentHoldsNothing) {
    const int a = recorded("mpm-accept");
    probe_.zombify(kOldParent);  // same pid, same start ticks, but a zombie
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over) << out.run_verdict;
    EXPECT_EQ(ids(out.removed), std::vector<int>{a});
}

TEST_F(ReclaimTest, WithoutAnAnchorNothingCanBeProven) {
    const int a = recorded("mpm-accept");
    previous_.run.anchor_shmid = -1;
    serve();
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over);
    EXPECT_TRUE(contains(out.run_verdict, "no anchor segment")) << out.run_verdict;
    EXPECT_TRUE(out.removed.empty());
    EXPECT_EQ(kept_ids(out.kept), std::vector<int>{a});
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(anchor_exists()) << "the real anchor is not touched either";
    EXPECT_EQ(log_.count(tag::kRunAlive), 1u) << log_.dump();
}

TEST_F(ReclaimTest, AnchorIdNowNamingAnotherAttachedSegmentKeepsEverything) {
    const int a = recorded("mpm-accept");
    serve();
    parent_killed();
    children_exit();
    ASSERT_TRUE(probe_.remove_anchor(anchor_).ok());
    // Another program's segment, attached, now at the id the record names:
    // attachments are all that counts, and they say "maybe alive".
    probe_.set_self(700, 70000);
    auto foreign = probe_.create_anchor(8192);
    ASSERT_TRUE(foreign.ok());
    previous_.run.anchor_shmid = foreign->info.shmid;
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over) << out.run_verdict;
    EXPECT_TRUE(out.removed.empty());
    EXPECT_TRUE(exists(a));
    EXPECT_FALSE(out.anchor_removed);
    auto still = probe_.stat_anchor(foreign->info.shmid);
    ASSERT_TRUE(still.ok());
    ASSERT_TRUE(still->has_value());
    EXPECT_FALSE(still->value().marked_for_removal) << "another program's segment was removed";
}

// Issue #10, attack 2: root's IPC_SET on the anchor moves its ctime; the parent
// alone is killed. The children still attached keep everything.
TEST_F(ReclaimTest, AnchorChangedFromOutsideWithChildrenAttachedKeepsEverything) {
    const int a = recorded("mpm-accept");
    serve();
    clock_->advance(1);
    ASSERT_TRUE(probe_.change_anchor(anchor_, kRoot, 0600).ok());
    parent_killed();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over) << out.run_verdict;
    EXPECT_TRUE(contains(out.run_verdict, "still alive")) << out.run_verdict;
    EXPECT_EQ(kept_ids(out.kept), std::vector<int>{a});
    EXPECT_TRUE(exists(a));
}

// ... and once they are gone the identity still differs: not provable, kept (SG0203).
TEST_F(ReclaimTest, AnchorChangedFromOutsideIsNeverReadAsGone) {
    const int a = recorded("mpm-accept");
    serve();
    clock_->advance(1);
    ASSERT_TRUE(probe_.change_anchor(anchor_, kRoot, 0600).ok());
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over) << out.run_verdict;
    EXPECT_TRUE(contains(out.run_verdict, "changed from outside")) << out.run_verdict;
    EXPECT_EQ(kept_ids(out.kept), std::vector<int>{a});
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(anchor_exists());
    EXPECT_TRUE(log_.has(tag::kKept, "cannot be proven")) << log_.dump();
    EXPECT_EQ(log_.count(tag::kRunAlive), 0u) << log_.dump();
}

// A creator pid seen from another PID namespace (a container) is not "gone" either.
TEST_F(ReclaimTest, AnchorCreatorSeenFromAnotherPidNamespaceKeepsEverything) {
    const int a = recorded("mpm-accept");
    serve();
    parent_killed();
    ASSERT_TRUE(probe_.set_anchor_creator_view(anchor_, 0).ok());
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over) << out.run_verdict;
    EXPECT_TRUE(exists(a));
    children_exit();
    const ReclaimOutcome later = reclaim();
    EXPECT_FALSE(later.run_over) << later.run_verdict;
    EXPECT_TRUE(contains(later.run_verdict, "creator pid")) << later.run_verdict;
    EXPECT_TRUE(exists(a));
}

// Root's IPC_RMID on the anchor while children are attached: it stays under its id.
TEST_F(ReclaimTest, AnchorMarkedForRemovalWhileChildrenLiveKeepsEverything) {
    const int a = recorded("mpm-accept");
    serve();
    ASSERT_TRUE(probe_.remove_anchor(anchor_).ok());
    parent_killed();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over) << out.run_verdict;
    EXPECT_TRUE(contains(out.run_verdict, "marked for removal")) << out.run_verdict;
    EXPECT_TRUE(exists(a));
    children_exit();
    const ReclaimOutcome later = reclaim();
    EXPECT_TRUE(later.run_over) << later.run_verdict;
    EXPECT_EQ(ids(later.removed), std::vector<int>{a});
}

// A reader's momentary attachment: the engine looks again through the probe.
TEST_F(ReclaimTest, MomentaryReaderIsWaitedOut) {
    const int a = recorded("mpm-accept");
    serve();
    parent_killed();
    children_exit();
    ASSERT_TRUE(probe_.attach_anchor(anchor_, 900).ok());
    int looks = 0;
    probe_.on_pause([&] {
        if (++looks == 3) probe_.detach_anchor(anchor_, 900);
    });
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over) << out.run_verdict;
    EXPECT_EQ(probe_.pauses(), 3);
    EXPECT_EQ(ids(out.removed), std::vector<int>{a});
}

TEST_F(ReclaimTest, ReaderThatStaysMeansAlive) {
    recorded("mpm-accept");
    serve();
    parent_killed();
    children_exit();
    ASSERT_TRUE(probe_.attach_anchor(anchor_, 900).ok());
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over);
    EXPECT_GT(probe_.pauses(), 5);
}

TEST_F(ReclaimTest, AnchorOfAnotherOwnerIsNotOurs) {
    const int a = recorded("mpm-accept");
    serve();
    parent_killed();
    previous_.run.euid = 1234;  // the record says another creator uid
    become_new_server();
    const ReclaimOutcome out = reclaim();
    // Not ours: its attachments say nothing about our run, and it is left alone.
    EXPECT_FALSE(out.anchor_removed);
    EXPECT_TRUE(anchor_exists());
    (void)a;
}

TEST_F(ReclaimTest, BootIdChangedMeansTheRunIsOver) {
    recorded("mpm-accept");
    previous_.run.boot_id = "00000000-0000-0000-0000-000000000000";
    become_new_server();
    // The same pid is running in this boot: a different process.
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over);
    EXPECT_TRUE(contains(out.run_verdict, "before the last boot")) << out.run_verdict;
    EXPECT_FALSE(out.anchor_removed) << "an id from another boot names nothing of ours";
    EXPECT_TRUE(anchor_exists());
}

TEST_F(ReclaimTest, ParentThatCannotBeCheckedKeepsEverything) {
    const int a = recorded("mpm-accept");
    parent_killed();
    become_new_server();
    probe_.fail_next(FakeRunProbe::Op::Process, EACCES);
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over);
    EXPECT_TRUE(contains(out.run_verdict, "could not be checked")) << out.run_verdict;
    EXPECT_TRUE(exists(a));
    EXPECT_EQ(kept_ids(out.kept), std::vector<int>{a});
}

TEST_F(ReclaimTest, AnchorThatCannotBeCheckedKeepsEverything) {
    const int a = recorded("mpm-accept");
    parent_killed();
    become_new_server();
    probe_.fail_next(FakeRunProbe::Op::StatAnchor, EACCES);
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over);
    EXPECT_TRUE(contains(out.run_verdict, "anchor segment")) << out.run_verdict;
    EXPECT_TRUE(contains(out.run_verdict, "could not be checked")) << out.run_verdict;
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(anchor_exists());
}

// ---- (c): is it still the recorded set, and idle? --------------------------------------

TEST_F(ReclaimTest, RecycledSemidOfAnotherProgramIsUntouchedAndMissing) {
    const int ours = recorded("mpm-accept");
    parent_killed();
    // Our set went away; another program's keyed set, owned by someone else,
    // now carries the id the record names.
    ASSERT_TRUE(kernel_.remove_set(ours).ok());
    clock_->advance(3);
    auto theirs = kernel_.create_set(0x5432, 1, 0600, 999, 999, 999, 999, 4000);
    ASSERT_TRUE(theirs.ok());
    ASSERT_TRUE(kernel_.set_value(*theirs, 0, 1, 4000).ok());
    previous_.sets[0].identity.semid = *theirs;
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over);
    EXPECT_TRUE(out.removed.empty());
    EXPECT_TRUE(out.kept.empty());
    EXPECT_EQ(ids(out.missing), std::vector<int>{*theirs});
    EXPECT_TRUE(exists(*theirs));
}

TEST_F(ReclaimTest, RecycledSemidWithOnlyADifferentCtimeIsUntouched) {
    // Same key (none), same owners, same mode: only ctime tells them apart.
    const int ours = recorded("mpm-accept");
    parent_killed();
    previous_.sets[0].identity.ctime -= 1;
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.removed.empty());
    EXPECT_EQ(ids(out.missing), std::vector<int>{ours});
    EXPECT_TRUE(exists(ours));
}

TEST_F(ReclaimTest, SetReownedFromOutsideIsUntouched) {
    const int ours = recorded("mpm-accept");
    parent_killed();
    clock_->advance(2);
    ASSERT_TRUE(kernel_.set_owner(ours, 1000, 1000, 0600).ok());
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.removed.empty());
    EXPECT_EQ(ids(out.missing), std::vector<int>{ours});
    EXPECT_TRUE(exists(ours));
}

TEST_F(ReclaimTest, AlreadyGoneSetsAreMissing) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    parent_killed();
    ASSERT_TRUE(kernel_.remove_set(a).ok());
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.missing), std::vector<int>{a});
    EXPECT_EQ(ids(out.removed), std::vector<int>{b});
}

TEST_F(ReclaimTest, SetWithWaitersIsKept) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    serve();
    parent_killed();
    children_exit();
    ASSERT_TRUE(kernel_.set_waiting(a, 0, 2, 0).ok());
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over);
    EXPECT_EQ(ids(out.removed), std::vector<int>{b});
    ASSERT_EQ(kept_ids(out.kept), std::vector<int>{a});
    EXPECT_TRUE(contains(out.kept[0].reason, "2 process(es) are waiting on it"))
        << out.kept[0].reason;
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(log_.has(tag::kKept, std::to_string(a) + " (mpm-accept)")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kKept, "waiting")) << log_.dump();
}

TEST_F(ReclaimTest, SetWithZeroWaitersIsKept) {
    const int a = recorded("mpm-accept");
    parent_killed();
    ASSERT_TRUE(kernel_.set_waiting(a, 0, 0, 1).ok());
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.removed.empty());
    EXPECT_EQ(kept_ids(out.kept), std::vector<int>{a});
}

TEST_F(ReclaimTest, HeldSetIsKept) {
    const int a = recorded("mpm-accept");
    serve();
    ASSERT_TRUE(kernel_.semop(a, 0, -1, kChild1).ok());  // held ...
    parent_killed();
    children_exit();  // ... by a process that is gone without undo
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over);
    EXPECT_TRUE(out.removed.empty());
    ASSERT_EQ(out.kept.size(), 1u);
    EXPECT_TRUE(contains(out.kept[0].reason, "held (value 0)")) << out.kept[0].reason;
    EXPECT_TRUE(exists(a));
    EXPECT_EQ(log_.count(tag::kKept), 1u) << log_.dump();
}

TEST_F(ReclaimTest, UnreadableStateKeepsTheSet) {
    const int a = recorded("mpm-accept");
    parent_killed();
    become_new_server();
    kernel_.fail_next(FakeSemKernel::Op::ReadStates, EACCES);
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.removed.empty());
    ASSERT_EQ(out.kept.size(), 1u);
    EXPECT_TRUE(contains(out.kept[0].reason, "could not be read")) << out.kept[0].reason;
    EXPECT_TRUE(exists(a));
}

TEST_F(ReclaimTest, StatFailureOtherThanGoneKeepsTheSet) {
    const int a = recorded("mpm-accept");
    parent_killed();
    become_new_server();
    kernel_.fail_next(FakeSemKernel::Op::StatSet, EACCES);
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.removed.empty());
    EXPECT_TRUE(out.missing.empty());
    ASSERT_EQ(out.kept.size(), 1u);
    EXPECT_TRUE(contains(out.kept[0].reason, "could not be checked")) << out.kept[0].reason;
    EXPECT_TRUE(exists(a));
}

TEST_F(ReclaimTest, StatSayingEidrmIsMissing) {
    const int a = recorded("mpm-accept");
    parent_killed();
    become_new_server();
    kernel_.fail_next(FakeSemKernel::Op::StatSet, EIDRM);
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.missing), std::vector<int>{a});
    EXPECT_TRUE(out.kept.empty());
}

// ---- modes --------------------------------------------------------------------

TEST_F(ReclaimTest, DryRunRemovesNothing) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    serve();
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim(ReclaimMode::DryRun);
    EXPECT_TRUE(out.run_over);
    EXPECT_EQ(ids(out.would_remove), sorted({a, b}));
    EXPECT_TRUE(out.removed.empty());
    EXPECT_TRUE(out.kept.empty());
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(exists(b));
    EXPECT_EQ(kernel_.calls(FakeSemKernel::Op::RemoveSet), 0);
    EXPECT_FALSE(out.anchor_removed);
    EXPECT_TRUE(anchor_exists()) << "the anchor is the proof a later On start needs";
    ASSERT_EQ(log_.count(tag::kDryRun), 1u) << log_.dump();
    const std::string text = log_.text_of(tag::kDryRun);
    EXPECT_TRUE(contains(text, "would remove 2 stale set(s) of the previous run (parent pid 100)"))
        << text;
    EXPECT_TRUE(contains(text, std::to_string(a) + " (mpm-accept)")) << text;
    EXPECT_TRUE(contains(text, "nothing was removed")) << text;
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u);
    EXPECT_EQ(log_.count(tag::kKept), 0u);
}

TEST_F(ReclaimTest, OffKeepsWithAReason) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    serve();
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim(ReclaimMode::Off);
    EXPECT_TRUE(out.run_over);
    EXPECT_TRUE(out.removed.empty());
    EXPECT_TRUE(out.would_remove.empty());
    EXPECT_EQ(kept_ids(out.kept), sorted({a, b}));
    for (const auto& k : out.kept) EXPECT_EQ(k.reason, "SemGuardReclaim is Off");
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(exists(b));
    EXPECT_EQ(kernel_.calls(FakeSemKernel::Op::RemoveSet), 0);
    EXPECT_TRUE(anchor_exists());
    EXPECT_EQ(log_.count(tag::kKept), 2u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u);
    EXPECT_EQ(log_.count(tag::kDryRun), 0u);
}

TEST_F(ReclaimTest, RecordOfAnotherInstanceIsRefused) {
    const int a = recorded("mpm-accept");
    parent_killed();
    previous_.instance.config_file = "/etc/apache2-two/apache2.conf";
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over);
    EXPECT_TRUE(contains(out.run_verdict, "another instance")) << out.run_verdict;
    EXPECT_TRUE(out.removed.empty());
    EXPECT_TRUE(out.kept.empty());
    EXPECT_TRUE(exists(a));
    EXPECT_TRUE(anchor_exists());
    EXPECT_EQ(kernel_.calls(FakeSemKernel::Op::RemoveSet), 0);
    ASSERT_EQ(log_.count(tag::kStateRejected), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kStateRejected, "/etc/apache2-two/apache2.conf")) << log_.dump();
    EXPECT_EQ(log_.lines().size(), 1u) << log_.dump();
}

TEST_F(ReclaimTest, RemoveFailureKeepsTheSetAndSaysSo) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    parent_killed();
    become_new_server();
    kernel_.fail_next(FakeSemKernel::Op::RemoveSet, EPERM);
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over);
    // The first one tried fails, the other goes.
    ASSERT_EQ(out.kept.size(), 1u);
    ASSERT_EQ(out.removed.size(), 1u);
    const int failed = out.kept[0].set.identity.semid;
    EXPECT_TRUE(failed == a || failed == b);
    EXPECT_TRUE(exists(failed));
    EXPECT_FALSE(exists(out.removed[0].identity.semid));
    EXPECT_TRUE(contains(out.kept[0].reason, "removing it failed")) << out.kept[0].reason;
    EXPECT_TRUE(contains(out.kept[0].reason, "(1)")) << out.kept[0].reason;  // EPERM
    ASSERT_EQ(log_.count(tag::kRemoveFailed), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kRemoveFailed).level, Level::Error);
    EXPECT_TRUE(log_.has(tag::kRemoveFailed, std::to_string(failed))) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kKept, "removing it failed")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kReclaimed, "reclaimed 1 stale")) << log_.dump();
}

// ---- what is never ours ---------------------------------------------------------

TEST_F(ReclaimTest, OtherSetsAreNeverRemoved) {
    const int a = recorded("mpm-accept");
    // Another httpd instance's set (a look-alike), a keyed set of another
    // program, a set of another user, and an unrecorded root set by our parent
    // from before its last record.
    const int lookalike = httpd_creates(900);
    auto keyed = kernel_.create_set(0x1234, 1, 0600, kWww, kWwwGroup, kRoot, kRoot, kOldParent);
    ASSERT_TRUE(keyed.ok());
    ASSERT_TRUE(kernel_.set_value(*keyed, 0, 1, kOldParent).ok());
    auto user = kernel_.create_set(0, 1, 0600, 1000, 1000, 1000, 1000, 5000);
    ASSERT_TRUE(user.ok());
    const int unrecorded = httpd_creates(kOldParent);
    serve();
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{a});
    for (int id : {lookalike, *keyed, *user, unrecorded}) EXPECT_TRUE(exists(id)) << id;
    EXPECT_EQ(kernel_.calls(FakeSemKernel::Op::RemoveSet), 1);
}

TEST(FindLookalikes, OnlyPrivateSingleSemaphoreMode600SetsOfUserNotOurs) {
    std::vector<SetInfo> live;
    auto add = [&](int semid, int32_t key, unsigned long nsems, unsigned mode, uid_t uid) {
        SetInfo s;
        s.semid = semid;
        s.key = key;
        s.nsems = nsems;
        s.mode = mode;
        s.uid = uid;
        s.cuid = 0;
        live.push_back(s);
    };
    add(1, 0, 1, 0600, kWww);       // look-alike
    add(2, 0, 1, 0600, kWww);       // ours
    add(3, 0x77, 1, 0600, kWww);    // keyed
    add(4, 0, 2, 0600, kWww);       // two semaphores
    add(5, 0, 1, 0660, kWww);       // protected mode
    add(6, 0, 1, 0600, 1000);       // another user
    add(7, 0, 1, 0600, kWww);       // look-alike
    const auto found = find_lookalikes(live, kWww, {2, 99});
    std::vector<int> got;
    for (const auto& s : found) got.push_back(s.semid);
    EXPECT_EQ(got, (std::vector<int>{1, 7}));
    EXPECT_TRUE(find_lookalikes(live, 4242, {}).empty());
    EXPECT_TRUE(find_lookalikes({}, kWww, {}).empty());
}

TEST(DescribeSet, NamesTypeOrUnknown) {
    RecordedSet r;
    r.identity.semid = 98304;
    r.type = "mpm-accept";
    EXPECT_EQ(describe_set(r), "98304 (mpm-accept)");
    r.type = "";
    EXPECT_EQ(describe_set(r), "98304 (type unknown)");
}

// ---- a run that died in the middle of a pass (Starting record) ----------------------

class StartingRecordTest : public ReclaimTest {
protected:
    void SetUp() override {
        ReclaimTest::SetUp();
        // A set of an earlier pass, carried in the Starting record.
        carried_ = recorded("ssl-cache", 0);
        clock_->advance(10);
        previous_.phase = RunPhase::Starting;
        previous_.generation = 1;
        previous_.written_at = clock_->now();
        clock_->advance(1);
    }
    // The parent dies before it records the pass (no children yet).
    void crash() {
        clock_->advance(1);
        probe_.remove_process(kOldParent);
        dtime_ = clock_->now();
    }
    // A set the parent creates and notes in its anchor while alive (note_new_sets).
    int noted_creates(pid_t pid) {
        const int id = httpd_creates(pid);
        EXPECT_TRUE(anchor_note_set(*anchor_block(anchor_mem_), id, kernel_.stat_set(id)->ctime));
        return id;
    }
    int carried_ = -1;
    int64_t dtime_ = 0;
};

TEST_F(StartingRecordTest, UnrecordedSetOfTheDeadPassIsReclaimed) {
    const int made = noted_creates(kOldParent);  // noted in the anchor while alive
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over) << out.run_verdict;
    EXPECT_EQ(ids(out.removed), sorted({carried_, made}));
    EXPECT_FALSE(exists(made));
    EXPECT_FALSE(exists(carried_));
    EXPECT_TRUE(log_.has(tag::kReclaimed, std::to_string(made) + " (type unknown)")) << log_.dump();
    for (const auto& r : out.removed) {
        if (r.identity.semid != made) continue;
        EXPECT_EQ(r.creator_pid, kOldParent);
        EXPECT_EQ(r.generation, 1);
        EXPECT_EQ(r.type, "");
    }
}

TEST_F(StartingRecordTest, UnnotedSetIsKeptAndNamed) {
    // Created, never noted (killed before the note): only the pid ties it to the run.
    const int made = httpd_creates(kOldParent);
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over) << out.run_verdict;
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(made));
    ASSERT_EQ(out.unproven.size(), 1u);
    EXPECT_EQ(out.unproven[0].semid, made);
    EXPECT_TRUE(log_.has(tag::kUnprovenSets, "ipcs -s -i " + std::to_string(made))) << log_.dump();
}

TEST_F(StartingRecordTest, NotedIdNowNamingAnotherSetIsUntouched) {
    const int made = noted_creates(kOldParent);
    ASSERT_TRUE(kernel_.remove_set(made).ok());
    clock_->advance(3);
    const int other = httpd_creates(555);
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(other));
}

TEST_F(StartingRecordTest, CreatedAtTheMomentOfDeathStillCounts) {
    clock_->advance(1);
    const int made = noted_creates(kOldParent);
    probe_.remove_process(kOldParent);  // same second: ctime == dtime
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), sorted({carried_, made}));
}

TEST_F(StartingRecordTest, CreatedAfterTheRunEndedIsNotReclaimed) {
    crash();
    clock_->advance(5);
    // A new process that got pid 100 creates a set the same way, after the end.
    probe_.add_process(kOldParent, kOldTicks + 5);
    const int later = httpd_creates(kOldParent);
    ASSERT_GT(kernel_.stat_set(later)->ctime, dtime_);
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(later));
}

TEST_F(StartingRecordTest, LockedSetIsNotReclaimed) {
    const int made = httpd_creates(kOldParent);
    ASSERT_TRUE(kernel_.semop(made, 0, -1, kOldParent).ok());
    ASSERT_TRUE(kernel_.semop(made, 0, 1, kOldParent).ok());
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(made));
}

TEST_F(StartingRecordTest, SetLastTouchedByAnotherProcessIsNotReclaimed) {
    const int by_other = httpd_creates(555);  // another root process, same moment
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(by_other));
}

TEST_F(StartingRecordTest, SetFromBeforeTheRecordIsNotReclaimed) {
    // Created before the Starting record was written.
    clock_->set(previous_.written_at - 2);
    const int before = httpd_creates(kOldParent);
    clock_->set(previous_.written_at + 1);
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(before));
}

// The parent died mid-pass while children of the run lived on (the anchor's
// dtime is when the last of them exited). Meanwhile another root process got
// the parent's pid and created its own IPC_PRIVATE set, not locked yet: its
// GETPID is "the parent's pid", its ctime is inside [written_at, dtime]. That
// set is not ours; GETPID only names the parent while the pid is not reused.
TEST_F(StartingRecordTest, SetOfAProcessThatReusedTheParentPidIsNotReclaimed) {
    serve();  // children of the run, attached to its anchor
    probe_.remove_process(kOldParent);  // kill -9 of the parent in a restart pass
    clock_->advance(2);
    probe_.add_process(kOldParent, kOldTicks + 5000);  // pid 100 is someone else now
    const int theirs = httpd_creates(kOldParent);
    clock_->advance(2);
    children_exit();  // dtime: after their set was made
    ASSERT_LE(kernel_.stat_set(theirs)->ctime, probe_.stat_anchor(anchor_)->value().dtime);
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over);
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(theirs)) << "another process's set was removed";
}

TEST_F(StartingRecordTest, KeyedOrForeignCreatorSetsAreNotReclaimed) {
    auto keyed = kernel_.create_set(0x4242, 1, 0600, kRoot, kRoot, kRoot, kRoot, kOldParent);
    ASSERT_TRUE(keyed.ok());
    ASSERT_TRUE(kernel_.set_value(*keyed, 0, 1, kOldParent).ok());
    auto other_uid = kernel_.create_set(0, 1, 0600, kWww, kWww, kWww, kWww, kOldParent);
    ASSERT_TRUE(other_uid.ok());
    ASSERT_TRUE(kernel_.set_value(*other_uid, 0, 1, kOldParent).ok());
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(*keyed));
    EXPECT_TRUE(exists(*other_uid));
}

TEST_F(StartingRecordTest, WithoutTheAnchorTheUnrecordedSetIsKeptOutOfIt) {
    const int made = httpd_creates(kOldParent);
    crash();
    ASSERT_TRUE(probe_.remove_anchor(anchor_).ok());  // no dtime to bound the pass
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over);
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(made));
}

TEST_F(StartingRecordTest, RunningRecordNeverTakesUnrecordedSets) {
    const int made = httpd_creates(kOldParent);
    previous_.phase = RunPhase::Running;
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{carried_});
    EXPECT_TRUE(exists(made));
}

TEST_F(StartingRecordTest, LiveRunTakesNothing) {
    const int made = httpd_creates(kOldParent);
    become_new_server();  // parent 100 still running
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(out.run_over);
    EXPECT_TRUE(out.removed.empty());
    EXPECT_EQ(kept_ids(out.kept), std::vector<int>{carried_}) << "only recorded sets are named";
    EXPECT_TRUE(exists(made));
}

TEST_F(StartingRecordTest, DryRunListsTheUnrecordedSetToo) {
    const int made = noted_creates(kOldParent);
    crash();
    become_new_server();
    const ReclaimOutcome out = reclaim(ReclaimMode::DryRun);
    EXPECT_EQ(ids(out.would_remove), sorted({carried_, made}));
    EXPECT_TRUE(exists(made));
    EXPECT_TRUE(exists(carried_));
}

// ---- post-mortem ----------------------------------------------------------------

TEST_F(ReclaimTest, PostMortemOfACrashedRun) {
    recorded("mpm-accept");
    recorded("rewrite-map");
    serve();
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(out.post_mortem,
              "the previous run (parent pid 100, generation 1) ended without a clean shutdown; "
              "it left 2 set(s), reclaimed now");
    ASSERT_EQ(log_.count(tag::kPostMortem), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kPostMortem).level, Level::Notice);
    EXPECT_EQ(log_.text_of(tag::kPostMortem), out.post_mortem);
}

TEST_F(ReclaimTest, PostMortemOfACrashWithSetsGoneMeanwhile) {
    const int a = recorded("mpm-accept");
    recorded("rewrite-map");
    parent_killed();
    ASSERT_TRUE(kernel_.remove_set(a).ok());
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(contains(out.post_mortem, "ended without a clean shutdown")) << out.post_mortem;
    EXPECT_TRUE(contains(out.post_mortem, "recorded set(s) " + std::to_string(a) +
                                              " (mpm-accept) had already been removed by "
                                              "someone else"))
        << out.post_mortem;
    EXPECT_TRUE(contains(out.post_mortem, "it left 1 set(s), reclaimed now")) << out.post_mortem;
}

TEST_F(ReclaimTest, PostMortemOfAStartingRecordWithNothingLeft) {
    previous_.phase = RunPhase::Starting;
    parent_killed();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(out.post_mortem,
              "the previous run (parent pid 100, generation 1) ended without a clean shutdown; "
              "it left 0 set(s)");
}

TEST_F(ReclaimTest, PostMortemCountsKeptAndWouldRemove) {
    recorded("mpm-accept");
    recorded("rewrite-map");
    parent_killed();
    become_new_server();
    const ReclaimOutcome out = reclaim(ReclaimMode::DryRun);
    EXPECT_TRUE(contains(out.post_mortem, "it left 2 set(s)")) << out.post_mortem;
    EXPECT_FALSE(contains(out.post_mortem, "reclaimed now")) << out.post_mortem;
}

TEST_F(ReclaimTest, CleanStopHasNoPostMortemAndNothingToSay) {
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    serve();
    // parent_exit: Stopped record, anchor marked, then httpd removes its sets.
    previous_.phase = RunPhase::Stopped;
    ASSERT_TRUE(probe_.remove_anchor(anchor_).ok());
    ASSERT_TRUE(kernel_.remove_set(a).ok());
    ASSERT_TRUE(kernel_.remove_set(b).ok());
    children_exit();
    parent_killed();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(out.run_over) << out.run_verdict;
    EXPECT_EQ(out.post_mortem, "");
    EXPECT_EQ(ids(out.missing), sorted({a, b}));
    EXPECT_TRUE(log_.empty()) << log_.dump();
}

TEST_F(ReclaimTest, PostMortemOfAStopCausedByRemovalFromOutside) {
    previous_.phase = RunPhase::Stopped;
    OutsideRemoval r;
    r.semid = 123;
    r.type = "mpm-accept";
    r.detected_at = previous_.written_at - 5;  // a child noticed it just before the stop
    previous_.removed_outside.push_back(r);
    OutsideRemoval r2;
    r2.semid = 456;
    previous_.removed_outside.push_back(r2);
    parent_killed();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(out.post_mortem,
              "the previous run (parent pid 100, generation 1) shut down; while it ran, set(s) "
              "123 (mpm-accept), 456 (type unknown) were removed from outside, the likely reason "
              "it stopped; it left 0 set(s)");
    EXPECT_EQ(log_.count(tag::kPostMortem), 1u) << log_.dump();
}

TEST_F(ReclaimTest, PostMortemReadsRemovalsTheChildrenNoted) {
    // A child found the accept mutex removed and noted it in the anchor block;
    // then the parent was killed before it could write that down.
    const int a = recorded("mpm-accept");
    const int b = recorded("rewrite-map");
    serve();
    ASSERT_TRUE(kernel_.remove_set(a).ok());
    anchor_note_removal(*anchor_block(anchor_mem_), a, clock_->now());
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_EQ(ids(out.removed), std::vector<int>{b});
    EXPECT_TRUE(contains(out.post_mortem, "ended without a clean shutdown")) << out.post_mortem;
    EXPECT_TRUE(contains(out.post_mortem, "while it ran, set(s) " + std::to_string(a) +
                                              " (mpm-accept) were removed from outside"))
        << out.post_mortem;
}

TEST_F(ReclaimTest, NotedRemovalsMakeACleanStopWorthAPostMortem) {
    const int a = recorded("mpm-accept");
    serve();
    ASSERT_TRUE(kernel_.remove_set(a).ok());
    anchor_note_removal(*anchor_block(anchor_mem_), a, clock_->now());
    previous_.phase = RunPhase::Stopped;  // written before the note reached the record
    parent_killed();
    children_exit();
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_TRUE(contains(out.post_mortem, "shut down; while it ran, set(s) " + std::to_string(a) +
                                              " (mpm-accept)"))
        << out.post_mortem;
    EXPECT_EQ(log_.count(tag::kPostMortem), 1u) << log_.dump();
}

TEST_F(ReclaimTest, PostMortemOnlyWhenAsked) {
    recorded("mpm-accept");
    parent_killed();
    become_new_server();
    const ReclaimOutcome out = reclaim(ReclaimMode::On, /*post_mortem=*/false);
    EXPECT_EQ(out.removed.size(), 1u);
    EXPECT_EQ(out.post_mortem, "");
    EXPECT_EQ(log_.count(tag::kPostMortem), 0u);
}

TEST_F(ReclaimTest, PreflightRecordWithItsConfigSetsGoneIsNoAccusation) {
    // Generation 0 (the preflight pass): its pconf sets are removed by httpd
    // itself before the real pass; their absence says nothing.
    const int a = recorded("mpm-accept", 0);
    previous_.generation = 0;
    parent_killed();
    ASSERT_TRUE(kernel_.remove_set(a).ok());
    become_new_server();
    const ReclaimOutcome out = reclaim();
    EXPECT_FALSE(contains(out.post_mortem, "someone else")) << out.post_mortem;
}

}  // namespace
}  // namespace semguard
