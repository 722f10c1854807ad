// Attribution by observation: which sets appeared between two snapshots, and
// which of those this very process created (cuid ours, GETPID ours).
#include "run/attribution.h"

#include <gtest/gtest.h>

#include <cerrno>
#include <vector>

#include "fake_kernel.h"

namespace semguard {
namespace {

constexpr pid_t kSelf = 100;
constexpr uid_t kRoot = 0;
constexpr uid_t kWwwData = 33;

SetInfo info(int semid) {
    SetInfo s;
    s.semid = semid;
    s.nsems = 1;
    s.mode = 0600;
    return s;
}

Snapshot snap(std::vector<int> ids) {
    Snapshot s;
    s.ok = true;
    for (int id : ids) s.sets.push_back(info(id));
    return s;
}

std::vector<int> ids(const std::vector<SetInfo>& sets) {
    std::vector<int> out;
    for (const auto& s : sets) out.push_back(s.semid);
    return out;
}

// APR's sysvsem: semget(IPC_PRIVATE, 1, 0600) then SETVAL 1, both by `pid`.
int apr_creates(FakeSemKernel& k, pid_t pid, uid_t cuid = kRoot) {
    auto id = k.create_set(0, 1, 0600, cuid, cuid, cuid, cuid, pid);
    EXPECT_TRUE(id.ok());
    EXPECT_TRUE(k.set_value(*id, 0, 1, pid).ok());
    return *id;
}

// ---- appeared -------------------------------------------------------------------

TEST(Appeared, NewIdsOnly) {
    EXPECT_EQ(ids(appeared(snap({1, 5, 9}), snap({1, 5, 9}))), (std::vector<int>{}));
    EXPECT_EQ(ids(appeared(snap({}), snap({3, 4}))), (std::vector<int>{3, 4}));
    EXPECT_EQ(ids(appeared(snap({1, 5, 9}), snap({0, 1, 2, 5, 7, 9, 12}))),
              (std::vector<int>{0, 2, 7, 12}));
}

TEST(Appeared, RemovedSetsAreNotReported) {
    EXPECT_EQ(ids(appeared(snap({1, 5, 9}), snap({9}))), (std::vector<int>{}));
    EXPECT_EQ(ids(appeared(snap({1, 5, 9}), snap({}))), (std::vector<int>{}));
    EXPECT_EQ(ids(appeared(snap({1, 5, 9}), snap({5, 6}))), (std::vector<int>{6}));
}

TEST(Appeared, RecycledIndexWithANewSequenceIsNew) {
    // Index 3 freed and handed out again: Linux gives it the next sequence
    // number, so the id differs (3 -> 32768 + 3).
    const int recycled = FakeIpcIds::kIndexSpan + 3;
    EXPECT_EQ(ids(appeared(snap({2, 3, 4}), snap({2, 4, recycled}))), (std::vector<int>{recycled}));
}

TEST(Appeared, RecycledIdsFromTheFakeKernel) {
    FakeSemKernel k;
    const int a = apr_creates(k, kSelf);
    const int b = apr_creates(k, kSelf);
    const Snapshot before = take_snapshot(k);
    ASSERT_TRUE(before.ok);
    ASSERT_TRUE(k.remove_set(a).ok());
    ASSERT_TRUE(k.remove_set(b).ok());
    // Enough creations to wrap the cyclic cursor: some index comes back with a
    // new sequence number, never with the old id.
    std::vector<int> created;
    for (int i = 0; i < 70; ++i) created.push_back(apr_creates(k, kSelf));
    const Snapshot after = take_snapshot(k);
    const auto fresh = appeared(before, after);
    EXPECT_EQ(fresh.size(), 70u);
    for (const auto& s : fresh) {
        EXPECT_NE(s.semid, a);
        EXPECT_NE(s.semid, b);
    }
}

TEST(Appeared, SnapshotIsSortedById) {
    FakeSemKernel k;
    for (int i = 0; i < 70; ++i) apr_creates(k, kSelf);
    // Free low indices so the next ids have a higher sequence but a low index.
    auto listed = k.list_sets();
    ASSERT_TRUE(listed.ok());
    for (int i = 0; i < 10; ++i) ASSERT_TRUE(k.remove_set(listed.value()[i].semid).ok());
    for (int i = 0; i < 10; ++i) apr_creates(k, kSelf);
    const Snapshot s = take_snapshot(k);
    ASSERT_TRUE(s.ok);
    for (size_t i = 1; i < s.sets.size(); ++i) EXPECT_LT(s.sets[i - 1].semid, s.sets[i].semid);
}

TEST(Appeared, SnapshotFailureIsReported) {
    FakeSemKernel k;
    k.fail_next(FakeSemKernel::Op::ListSets, EACCES);
    const Snapshot s = take_snapshot(k);
    EXPECT_FALSE(s.ok);
    EXPECT_EQ(s.error.code, EACCES);
    EXPECT_TRUE(s.sets.empty());
}

// ---- created_by -----------------------------------------------------------------

TEST(CreatedBy, OnlyOurCuidAndOurLastPid) {
    FakeSemKernel k;
    const int ours = apr_creates(k, kSelf);
    const int other_pid = apr_creates(k, 555);                     // another root process
    const int other_uid = apr_creates(k, kSelf, kWwwData);         // ... our pid, other creator uid
    auto never_set = k.create_set(0, 1, 0600, 0, 0, 0, 0, kSelf);  // GETPID still 0
    ASSERT_TRUE(never_set.ok());
    const auto cands = take_snapshot(k).sets;
    EXPECT_EQ(ids(created_by(k, cands, kSelf, kRoot)), (std::vector<int>{ours}));
    EXPECT_EQ(ids(created_by(k, cands, 555, kRoot)), (std::vector<int>{other_pid}));
    EXPECT_EQ(ids(created_by(k, cands, kSelf, kWwwData)), (std::vector<int>{other_uid}));
}

TEST(CreatedBy, AnySemaphoreTouchedBySelfCounts) {
    FakeSemKernel k;
    auto id = k.create_set(0, 3, 0600, 0, 0, 0, 0, kSelf);
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(k.set_value(*id, 2, 1, kSelf).ok());
    const auto cands = take_snapshot(k).sets;
    EXPECT_EQ(ids(created_by(k, cands, kSelf, kRoot)), (std::vector<int>{*id}));
}

TEST(CreatedBy, SetUsedByAChildSinceIsNotOurs) {
    FakeSemKernel k;
    const int id = apr_creates(k, kSelf);
    ASSERT_TRUE(k.semop(id, 0, -1, 777).ok());
    const auto cands = take_snapshot(k).sets;
    EXPECT_TRUE(created_by(k, cands, kSelf, kRoot).empty());
}

TEST(CreatedBy, SetGoneAgainIsSkipped) {
    FakeSemKernel k;
    const int gone = apr_creates(k, kSelf);
    const int kept = apr_creates(k, kSelf);
    const auto cands = take_snapshot(k).sets;
    ASSERT_TRUE(k.remove_set(gone).ok());
    EXPECT_EQ(ids(created_by(k, cands, kSelf, kRoot)), (std::vector<int>{kept}));
}

TEST(CreatedBy, ReadFailureIsSkipped) {
    FakeSemKernel k;
    const int a = apr_creates(k, kSelf);
    const int b = apr_creates(k, kSelf);
    const auto cands = take_snapshot(k).sets;
    k.fail_next(FakeSemKernel::Op::ReadStates, EACCES);
    EXPECT_EQ(ids(created_by(k, cands, kSelf, kRoot)), (std::vector<int>{b}));
    (void)a;
}

TEST(CreatedBy, OrderOfCandidatesIsKept) {
    FakeSemKernel k;
    const int a = apr_creates(k, kSelf);
    const int b = apr_creates(k, kSelf);
    auto cands = take_snapshot(k).sets;
    std::swap(cands[0], cands[1]);
    EXPECT_EQ(ids(created_by(k, cands, kSelf, kRoot)), (std::vector<int>{b, a}));
}

// ---- untouched_since_created_by ------------------------------------------------------

TEST(Untouched, FreshSetOfThatProcess) {
    FakeSemKernel k;
    const int id = apr_creates(k, kSelf);
    const SetInfo s = k.stat_set(id).value();
    EXPECT_TRUE(untouched_since_created_by(k, s, kSelf));
    EXPECT_FALSE(untouched_since_created_by(k, s, 555));
}

TEST(Untouched, LockedOnceIsTouched) {
    FakeSemKernel k;
    const int id = apr_creates(k, kSelf);
    ASSERT_TRUE(k.semop(id, 0, -1, kSelf).ok());
    ASSERT_TRUE(k.semop(id, 0, 1, kSelf).ok());
    const SetInfo s = k.stat_set(id).value();
    ASSERT_NE(s.otime, 0);
    EXPECT_FALSE(untouched_since_created_by(k, s, kSelf)) << "otime != 0";
}

TEST(Untouched, EverySemaphoreMustBeThatProcesss) {
    FakeSemKernel k;
    auto id = k.create_set(0, 2, 0600, 0, 0, 0, 0, kSelf);
    ASSERT_TRUE(id.ok());
    ASSERT_TRUE(k.set_value(*id, 0, 1, kSelf).ok());
    SetInfo s = k.stat_set(*id).value();
    EXPECT_FALSE(untouched_since_created_by(k, s, kSelf)) << "semaphore 1 has GETPID 0";
    ASSERT_TRUE(k.set_value(*id, 1, 1, kSelf).ok());
    s = k.stat_set(*id).value();
    EXPECT_TRUE(untouched_since_created_by(k, s, kSelf));
    ASSERT_TRUE(k.set_value(*id, 1, 1, 555).ok());
    s = k.stat_set(*id).value();
    EXPECT_FALSE(untouched_since_created_by(k, s, kSelf));
}

TEST(Untouched, GoneSetIsNot) {
    FakeSemKernel k;
    const int id = apr_creates(k, kSelf);
    const SetInfo s = k.stat_set(id).value();
    ASSERT_TRUE(k.remove_set(id).ok());
    EXPECT_FALSE(untouched_since_created_by(k, s, kSelf));
}

TEST(Untouched, RecordedOtimeIsWhatCounts) {
    // The otime checked is the one in the SetInfo given (the snapshot's).
    FakeSemKernel k;
    const int id = apr_creates(k, kSelf);
    SetInfo s = k.stat_set(id).value();
    s.otime = 12345;
    EXPECT_FALSE(untouched_since_created_by(k, s, kSelf));
}

}  // namespace
}  // namespace semguard
