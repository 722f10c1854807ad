// reclaim_previous_run, proof (c): is each recorded set still the one recorded,
// and idle? And what is never ours, whatever the record says.
#include "reclaim_fixture.h"

namespace semguard::reclaim_test {

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
    add(1, 0, 1, 0600, kWww);     // look-alike
    add(2, 0, 1, 0600, kWww);     // ours
    add(3, 0x77, 1, 0600, kWww);  // keyed
    add(4, 0, 2, 0600, kWww);     // two semaphores
    add(5, 0, 1, 0660, kWww);     // protected mode
    add(6, 0, 1, 0600, 1000);     // another user
    add(7, 0, 1, 0600, kWww);     // look-alike
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

}  // namespace semguard::reclaim_test
