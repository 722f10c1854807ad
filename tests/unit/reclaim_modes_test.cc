// reclaim_previous_run's modes (dry run, off), a record of another instance,
// and a removal that fails.
#include "reclaim_fixture.h"

namespace semguard::reclaim_test {

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

}  // namespace semguard::reclaim_test
