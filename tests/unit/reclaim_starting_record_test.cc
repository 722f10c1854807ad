// reclaim_previous_run after a run that died in the middle of a pass (its
// record still says Starting): the sets it noted in its anchor but never
// recorded, and the many sets that only look like them.
#include "reclaim_fixture.h"

namespace semguard::reclaim_test {

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
    serve();                            // children of the run, attached to its anchor
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

}  // namespace semguard::reclaim_test
