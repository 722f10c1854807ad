// The fakes' own controls, which the contract suite cannot reach because the
// real kernel has no equivalent: failure injection, call counts, the process
// table and the shared clock.
#include <gtest/gtest.h>

#include <cerrno>
#include <memory>

#include "fake_kernel.h"

namespace semguard {
namespace {

int must_create(FakeSemKernel& kernel, unsigned long nsems = 1, int32_t key = 0) {
    SysResult<int> id = kernel.create_set(key, nsems, 0600, 33, 33, 0, 0, 100);
    EXPECT_TRUE(id.ok()) << (id.ok() ? "" : id.error().describe());
    return id.ok() ? *id : -1;
}

// ---- failure injection ------------------------------------------------------------

TEST(FakeSemKernel, AnInjectedFailureHitsTheNextCallOnlyWithItsErrnoAndCall) {
    FakeSemKernel kernel;
    const int id = must_create(kernel);
    kernel.fail_next(FakeSemKernel::Op::StatSet, EACCES);

    SysResult<SetInfo> failed = kernel.stat_set(id);
    ASSERT_FALSE(failed.ok());
    EXPECT_EQ(failed.error().code, EACCES);
    EXPECT_EQ(failed.error().call, "semctl(IPC_STAT, " + std::to_string(id) + ")");

    EXPECT_TRUE(kernel.stat_set(id).ok());
    EXPECT_EQ(kernel.calls(FakeSemKernel::Op::StatSet), 2);
}

TEST(FakeSemKernel, InjectedFailuresQueueInOrderPerOperation) {
    FakeSemKernel kernel;
    kernel.fail_next(FakeSemKernel::Op::Usage, EINTR);
    kernel.fail_next(FakeSemKernel::Op::Usage, EFAULT);

    // Another operation is not affected.
    EXPECT_TRUE(kernel.limits().ok());
    SysResult<SemUsage> first = kernel.usage();
    SysResult<SemUsage> second = kernel.usage();
    SysResult<SemUsage> third = kernel.usage();
    ASSERT_FALSE(first.ok());
    ASSERT_FALSE(second.ok());
    EXPECT_EQ(first.error().code, EINTR);
    EXPECT_EQ(second.error().code, EFAULT);
    EXPECT_TRUE(third.ok());
}

TEST(FakeSemKernel, AFailedRemovalLeavesTheSetInPlace) {
    FakeSemKernel kernel;
    const int id = must_create(kernel, 2);
    kernel.fail_next(FakeSemKernel::Op::RemoveSet, EPERM);
    SysStatus removed = kernel.remove_set(id);
    ASSERT_FALSE(removed.ok());
    EXPECT_EQ(removed.error().code, EPERM);
    EXPECT_TRUE(kernel.stat_set(id).ok());
    EXPECT_EQ(kernel.usage()->semaphores, 2);
    EXPECT_EQ(kernel.calls(FakeSemKernel::Op::RemoveSet), 1);
}

TEST(FakeSemKernel, EveryOperationCanBeMadeToFail) {
    FakeSemKernel kernel;
    const int id = must_create(kernel);
    using Op = FakeSemKernel::Op;
    for (Op op : {Op::Limits, Op::Usage, Op::ListSets, Op::StatSet, Op::ReadStates, Op::RemoveSet,
                  Op::SetOwner, Op::Cursor}) {
        kernel.fail_next(op, EIO);
    }
    EXPECT_EQ(kernel.limits().error().code, EIO);
    EXPECT_EQ(kernel.usage().error().code, EIO);
    EXPECT_EQ(kernel.list_sets().error().code, EIO);
    EXPECT_EQ(kernel.stat_set(id).error().code, EIO);
    EXPECT_EQ(kernel.read_states(id, 1).error().code, EIO);
    EXPECT_EQ(kernel.remove_set(id).error().code, EIO);
    EXPECT_EQ(kernel.set_owner(id, 0, 0, 0600).error().code, EIO);
    EXPECT_EQ(kernel.creation_cursor().error().code, EIO);
    EXPECT_TRUE(kernel.stat_set(id).ok());  // and nothing changed
}

TEST(FakeRunProbe, InjectedFailuresReachEveryProbeOperation) {
    FakeRunProbe probe;
    using Op = FakeRunProbe::Op;
    probe.fail_next(Op::Process, EACCES);
    probe.fail_next(Op::CreateAnchor, ENOSPC);
    SysResult<ProcessInfo> process = probe.process(probe.self_pid());
    ASSERT_FALSE(process.ok());
    EXPECT_EQ(process.error().code, EACCES);
    EXPECT_EQ(process.error().call, "open(/proc/" + std::to_string(probe.self_pid()) + "/stat)");
    SysResult<AnchorMapping> anchor = probe.create_anchor(64);
    ASSERT_FALSE(anchor.ok());
    EXPECT_EQ(anchor.error().code, ENOSPC);

    anchor = probe.create_anchor(64);
    ASSERT_TRUE(anchor.ok());
    probe.fail_next(Op::StatAnchor, EFAULT);
    probe.fail_next(Op::RemoveAnchor, EPERM);
    EXPECT_EQ(probe.stat_anchor(anchor->info.shmid).error().code, EFAULT);
    EXPECT_EQ(probe.remove_anchor(anchor->info.shmid).error().code, EPERM);
    EXPECT_TRUE(probe.stat_anchor(anchor->info.shmid).ok());
    EXPECT_EQ(probe.calls(Op::StatAnchor), 2);
}

// ---- controls of the world --------------------------------------------------------

TEST(FakeSemKernel, KeysAreUniqueButPrivateSetsAreNot) {
    FakeSemKernel kernel;
    must_create(kernel, 1, 0x1234);
    SysResult<int> again = kernel.create_set(0x1234, 1, 0600, 0, 0, 0, 0, 1);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, EEXIST);
    must_create(kernel, 1, 0);
    must_create(kernel, 1, 0);
    EXPECT_EQ(kernel.usage()->arrays, 3);
}

TEST(FakeSemKernel, RemembersWhoCreatedASet) {
    FakeSemKernel kernel;
    SysResult<int> id = kernel.create_set(0, 1, 0600, 33, 33, 0, 0, 777);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(kernel.creator_of(*id), 777);
    EXPECT_EQ(kernel.creator_of(*id + 1), 0);
}

TEST(FakeSemKernel, SemopRefusesWhatWouldBlockOrOverflow) {
    FakeSemKernel kernel;
    const int id = must_create(kernel);
    SysStatus take = kernel.semop(id, 0, -1, 50);
    ASSERT_FALSE(take.ok());
    EXPECT_EQ(take.error().code, EAGAIN);
    ASSERT_TRUE(kernel.set_value(id, 0, 32767, 50).ok());
    SysStatus overflow = kernel.semop(id, 0, +1, 51);
    ASSERT_FALSE(overflow.ok());
    EXPECT_EQ(overflow.error().code, ERANGE);
    SysStatus zero = kernel.semop(id, 0, 0, 52);  // wait-for-zero on a non-zero value
    ASSERT_FALSE(zero.ok());
    EXPECT_EQ(zero.error().code, EAGAIN);
    EXPECT_EQ(kernel.read_states(id, 1)->at(0).last_pid, 50);  // failed ops leave no trace
    EXPECT_EQ(kernel.set_value(id, 0, 32768, 50).error().code, ERANGE);
}

TEST(FakeSemKernel, SetWaitingAndWaitersAreWhatGetncntAndGetzcntReport) {
    FakeSemKernel kernel;
    const int id = must_create(kernel, 2);
    ASSERT_TRUE(kernel.set_waiting(id, 1, 4, 2).ok());
    ASSERT_TRUE(kernel.add_waiter(id, 1, false).ok());
    ASSERT_TRUE(kernel.remove_waiter(id, 1, true).ok());
    SysResult<std::vector<SemState>> states = kernel.read_states(id, 2);
    ASSERT_TRUE(states.ok());
    EXPECT_EQ((*states)[1].waiting, 5);
    EXPECT_EQ((*states)[1].waiting_zero, 1);
    EXPECT_EQ((*states)[0].waiting, 0);
    EXPECT_EQ(kernel.remove_waiter(id, 0, false).error().code, EINVAL);  // nobody there
    EXPECT_EQ(kernel.set_waiting(id, 2, 1, 0).error().code, EINVAL);     // no such semaphore
}

TEST(FakeSemKernel, TheSharedClockStampsCtimeAndOtime) {
    auto clock = std::make_shared<TestClock>(1000);
    FakeSemKernel kernel(clock);
    const int id = must_create(kernel);
    EXPECT_EQ(kernel.stat_set(id)->ctime, 1000);
    clock->advance(5);
    ASSERT_TRUE(kernel.semop(id, 0, +1, 9).ok());
    EXPECT_EQ(kernel.stat_set(id)->otime, 1005);
    EXPECT_EQ(kernel.stat_set(id)->ctime, 1000);
    clock->set(2000);
    ASSERT_TRUE(kernel.set_value(id, 0, 1, 9).ok());
    EXPECT_EQ(kernel.stat_set(id)->ctime, 2000);
}

TEST(FakeSemKernel, IdsFollowLinuxFromTheFirstOne) {
    FakeSemKernel kernel;
    EXPECT_EQ(must_create(kernel), 0);
    EXPECT_EQ(must_create(kernel), 1);
    const int third = must_create(kernel);
    EXPECT_EQ(third, 2);
    ASSERT_TRUE(kernel.remove_set(1).ok());
    EXPECT_EQ(must_create(kernel), 3);  // the cursor moves on past the hole
}

TEST(FakeRunProbe, ForkedChildrenInheritEveryAttachmentAndZombiesDropThem) {
    auto clock = std::make_shared<TestClock>(5000);
    FakeRunProbe probe(clock, 100, 7);
    SysResult<AnchorMapping> anchor = probe.create_anchor(128);
    ASSERT_TRUE(anchor.ok());
    const int shmid = anchor->info.shmid;
    ASSERT_TRUE(probe.attach_anchor(shmid, 100).ok());  // attached twice by the parent

    probe.fork_process(100, 101, 8);
    probe.fork_process(101, 102, 9);  // a grandchild inherits too
    EXPECT_EQ((*probe.stat_anchor(shmid))->attached, 6u);

    clock->advance(3);
    probe.zombify(101);
    EXPECT_EQ(probe.process(101)->state, ProcessState::Zombie);
    EXPECT_EQ(probe.process(101)->start_ticks, 8u);
    EXPECT_EQ((*probe.stat_anchor(shmid))->attached, 4u);
    EXPECT_EQ((*probe.stat_anchor(shmid))->dtime, 5003);

    probe.remove_process(102);  // a running process that vanishes detaches first
    EXPECT_EQ(probe.process(102)->state, ProcessState::Absent);
    EXPECT_EQ((*probe.stat_anchor(shmid))->attached, 2u);
}

TEST(FakeRunProbe, ARemovedAnchorGoesWithItsLastDetach) {
    FakeRunProbe probe;
    SysResult<AnchorMapping> anchor = probe.create_anchor(16);
    ASSERT_TRUE(anchor.ok());
    const int shmid = anchor->info.shmid;
    ASSERT_TRUE(probe.detach_anchor(shmid, probe.self_pid()).ok());
    EXPECT_EQ(probe.detach_anchor(shmid, probe.self_pid()).error().code, EINVAL);
    // Unattached and unmarked, it stays: only IPC_RMID ends a segment nobody maps.
    ASSERT_TRUE((*probe.stat_anchor(shmid)).has_value());
    ASSERT_TRUE(probe.remove_anchor(shmid).ok());
    EXPECT_FALSE((*probe.stat_anchor(shmid)).has_value());
}

TEST(FakeRunProbe, SelfIdentityIsConfigurable) {
    FakeRunProbe probe;
    probe.set_effective_uid(33);
    probe.set_boot_id("boot-b");
    probe.set_self(9000, 123);
    EXPECT_EQ(probe.self_pid(), 9000);
    EXPECT_EQ(probe.effective_uid(), 33u);
    EXPECT_EQ(probe.boot_id(), "boot-b");
    EXPECT_EQ(probe.process(9000)->start_ticks, 123u);
    // The previous pid is still there until the test says otherwise.
    EXPECT_EQ(probe.process(FakeRunProbe::kDefaultSelf)->state, ProcessState::Running);
    SysResult<AnchorMapping> anchor = probe.create_anchor(8);
    ASSERT_TRUE(anchor.ok());
    EXPECT_EQ(anchor->info.creator_pid, 9000);
    EXPECT_EQ(anchor->info.cuid, 33u);
}

}  // namespace
}  // namespace semguard
