// What reclaim_previous_run tells about how the previous run ended (the
// post-mortem), and when it says nothing.
#include "reclaim_fixture.h"

namespace semguard::reclaim_test {

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
    EXPECT_TRUE(contains(out.post_mortem,
                         "shut down; while it ran, set(s) " + std::to_string(a) + " (mpm-accept)"))
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

}  // namespace semguard::reclaim_test
