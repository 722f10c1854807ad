// reclaim_previous_run, proofs (a) and (b): is the previous run over, and is no
// process of it alive? Anything short of proof keeps every set.
#include "reclaim_fixture.h"

namespace semguard::reclaim_test {

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
    EXPECT_TRUE(contains(line.text,
                         "reclaimed 3 stale semaphore set(s) of the previous run "
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

}  // namespace semguard::reclaim_test
