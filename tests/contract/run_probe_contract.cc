// The RunProbe contract, same suite and instances as sem_kernel_contract.cc:
// processes as /proc shows them, and the shared-memory anchor whose attach
// count follows every process that inherited it.
#include <cctype>
#include <optional>

#include "kernel_contract.h"

namespace semguard {
namespace {

// ---- processes --------------------------------------------------------------------

TEST_P(KernelContract, ThisProcessRunsWithAStableStartTime) {
    SysResult<ProcessInfo> first = probe().process(probe().self_pid());
    ASSERT_TRUE(Ok(first));
    EXPECT_EQ(first->state, ProcessState::Running);
    EXPECT_GT(first->start_ticks, 0u);
    SysResult<ProcessInfo> second = probe().process(probe().self_pid());
    ASSERT_TRUE(Ok(second));
    EXPECT_EQ(second->state, ProcessState::Running);
    EXPECT_EQ(second->start_ticks, first->start_ticks);
}

TEST_P(KernelContract, AChildRunsThenIsAZombieThenIsAbsent) {
    SysResult<ProcessInfo> self = probe().process(probe().self_pid());
    ASSERT_TRUE(Ok(self));
    auto child = world().fork_child();
    ASSERT_TRUE(Ok(child));
    const pid_t pid = (*child)->pid();
    ASSERT_NE(pid, probe().self_pid());

    SysResult<ProcessInfo> running = probe().process(pid);
    ASSERT_TRUE(Ok(running));
    EXPECT_EQ(running->state, ProcessState::Running);
    EXPECT_GE(running->start_ticks, self->start_ticks);

    ASSERT_TRUE(Ok((*child)->exit_unreaped()));
    SysResult<ProcessInfo> zombie = probe().process(pid);
    ASSERT_TRUE(Ok(zombie));
    EXPECT_EQ(zombie->state, ProcessState::Zombie);
    EXPECT_EQ(zombie->start_ticks, running->start_ticks);

    ASSERT_TRUE(Ok((*child)->reap()));
    SysResult<ProcessInfo> absent = probe().process(pid);
    ASSERT_TRUE(Ok(absent));
    EXPECT_EQ(absent->state, ProcessState::Absent);
}

TEST_P(KernelContract, NoProcessHasAPidBelowOne) {
    for (pid_t pid : {0, -1}) {
        SysResult<ProcessInfo> info = probe().process(pid);
        ASSERT_TRUE(Ok(info));
        EXPECT_EQ(info->state, ProcessState::Absent) << "pid " << pid;
    }
}

TEST_P(KernelContract, BootIdIsStableAndTrimmed) {
    const std::string id = probe().boot_id();
    ASSERT_FALSE(id.empty());
    for (char c : id) {
        EXPECT_FALSE(std::isspace(static_cast<unsigned char>(c))) << "in '" << id << "'";
    }
    EXPECT_EQ(probe().boot_id(), id);
}

// ---- the anchor ---------------------------------------------------------------------

TEST_P(KernelContract, ANewAnchorIsOursAndAttachedOnce) {
    const int64_t before = world().now();
    SysResult<AnchorMapping> anchor = probe().create_anchor(4096);
    ASSERT_TRUE(Ok(anchor));
    const AnchorInfo& info = anchor->info;
    EXPECT_GE(info.shmid, 0);
    EXPECT_NE(anchor->address, nullptr);
    EXPECT_EQ(info.creator_pid, probe().self_pid());
    EXPECT_EQ(info.cuid, probe().effective_uid());
    EXPECT_EQ(info.mode, 0600u);
    EXPECT_EQ(info.size, 4096u);
    EXPECT_EQ(info.attached, 1u);
    EXPECT_GE(info.ctime, before);
    EXPECT_LE(info.ctime, world().now());
    EXPECT_EQ(info.dtime, 0);
    EXPECT_FALSE(info.marked_for_removal);

    SysResult<std::optional<AnchorInfo>> stat = probe().stat_anchor(info.shmid);
    ASSERT_TRUE(Ok(stat));
    ASSERT_TRUE(stat->has_value());
    EXPECT_EQ((*stat)->attached, 1u);
    EXPECT_EQ((*stat)->ctime, info.ctime);
}

TEST_P(KernelContract, AnchorAttachCountFollowsForkedChildren) {
    SysResult<AnchorMapping> anchor = probe().create_anchor(4096);
    ASSERT_TRUE(Ok(anchor));
    const int shmid = anchor->info.shmid;

    auto child = world().fork_child();
    ASSERT_TRUE(Ok(child));
    SysResult<std::optional<AnchorInfo>> stat = probe().stat_anchor(shmid);
    ASSERT_TRUE(Ok(stat));
    ASSERT_TRUE(stat->has_value());
    EXPECT_EQ((*stat)->attached, 2u);

    const int64_t before_exit = world().now();
    // A zombie has already detached: the count falls before anyone reaps it.
    ASSERT_TRUE(Ok((*child)->exit_unreaped()));
    stat = probe().stat_anchor(shmid);
    ASSERT_TRUE(Ok(stat));
    ASSERT_TRUE(stat->has_value());
    EXPECT_EQ((*stat)->attached, 1u);
    EXPECT_GE((*stat)->dtime, before_exit);
    EXPECT_LE((*stat)->dtime, world().now());
    EXPECT_FALSE((*stat)->marked_for_removal);
    ASSERT_TRUE(Ok((*child)->reap()));
}

TEST_P(KernelContract, ARemovedAnchorLastsUntilItsLastDetach) {
    SysResult<AnchorMapping> anchor = probe().create_anchor(4096);
    ASSERT_TRUE(Ok(anchor));
    const int shmid = anchor->info.shmid;

    ASSERT_TRUE(Ok(probe().remove_anchor(shmid)));
    SysResult<std::optional<AnchorInfo>> stat = probe().stat_anchor(shmid);
    ASSERT_TRUE(Ok(stat));
    ASSERT_TRUE(stat->has_value()) << "still attached here, so it must still exist";
    EXPECT_TRUE((*stat)->marked_for_removal);
    EXPECT_EQ((*stat)->attached, 1u);

    ASSERT_TRUE(Ok(world().detach(*anchor)));
    stat = probe().stat_anchor(shmid);
    ASSERT_TRUE(Ok(stat));
    EXPECT_FALSE(stat->has_value());

    SysStatus again = probe().remove_anchor(shmid);
    ASSERT_FALSE(again.ok());
    EXPECT_TRUE(again.error().code == EINVAL || again.error().code == EIDRM)
        << again.error().describe();
}

TEST_P(KernelContract, StatOfAnUnknownAnchorIdIsNothing) {
    SysResult<AnchorMapping> anchor = probe().create_anchor(4096);
    ASSERT_TRUE(Ok(anchor));
    const int shmid = anchor->info.shmid;
    // A free index, and the anchor's own index with another sequence number.
    for (int other : {shmid + 1, shmid + 32768}) {
        SysResult<std::optional<AnchorInfo>> stat = probe().stat_anchor(other);
        ASSERT_TRUE(Ok(stat));
        EXPECT_FALSE(stat->has_value()) << "id " << other;
    }
}

}  // namespace
}  // namespace semguard

namespace semguard {

TEST_P(KernelContract, AnchorsAreListedAndReadBackWithoutAttachingForGood) {
    auto created = probe().create_anchor(4096);
    ASSERT_TRUE(created.ok()) << created.error().describe();
    const AnchorMapping& mapping = created.value();
    auto* bytes = static_cast<unsigned char*>(mapping.address);
    bytes[0] = 0x53;
    bytes[4095] = 0x47;

    auto listed = probe().list_anchors();
    ASSERT_TRUE(listed.ok()) << listed.error().describe();
    bool found = false;
    for (const auto& a : listed.value()) {
        if (a.shmid != mapping.info.shmid) continue;
        found = true;
        EXPECT_EQ(a.key, 0);
        EXPECT_EQ(a.size, 4096u);
        EXPECT_EQ(a.mode, 0600u);
        EXPECT_EQ(a.attached, 1u);
    }
    EXPECT_TRUE(found);

    auto copy = probe().read_anchor(mapping.info.shmid, 8192);
    ASSERT_TRUE(copy.ok()) << copy.error().describe();
    ASSERT_EQ(copy->size(), 4096u);  // never more than the segment holds
    EXPECT_EQ((*copy)[0], 0x53);
    EXPECT_EQ((*copy)[4095], 0x47);
    // Reading attached and detached again: the count is back where it was.
    auto after = probe().stat_anchor(mapping.info.shmid);
    ASSERT_TRUE(after.ok() && after.value().has_value());
    EXPECT_EQ(after.value()->attached, 1u);

    ASSERT_TRUE(probe().remove_anchor(mapping.info.shmid).ok());
    ASSERT_TRUE(world().detach(mapping).ok());
    EXPECT_FALSE(probe().read_anchor(mapping.info.shmid, 16).ok());
}

}  // namespace semguard

namespace semguard {

// Keyed anchors (issue #10): the record's home is found by key, the key is
// exclusive, and a segment marked for removal loses its key at once while it
// stays visible under its id for as long as anything is attached.
TEST_P(KernelContract, AKeyedAnchorIsFoundByItsKeyAndTheKeyIsExclusive) {
    const int32_t key = 0x53a1b2c0;
    auto nothing = probe().find_anchor(key);
    ASSERT_TRUE(Ok(nothing));
    EXPECT_FALSE(nothing->has_value());

    auto anchor = probe().create_anchor(8192, key);
    ASSERT_TRUE(Ok(anchor));
    EXPECT_EQ(anchor->info.key, key);
    auto found = probe().find_anchor(key);
    ASSERT_TRUE(Ok(found));
    ASSERT_TRUE(found->has_value());
    EXPECT_EQ((*found)->shmid, anchor->info.shmid);
    EXPECT_EQ((*found)->cuid, probe().effective_uid());
    EXPECT_EQ((*found)->attached, 1u);

    auto again = probe().create_anchor(8192, key);
    ASSERT_FALSE(again.ok());
    EXPECT_EQ(again.error().code, EEXIST) << again.error().describe();

    ASSERT_TRUE(Ok(probe().remove_anchor(anchor->info.shmid)));
    auto by_key = probe().find_anchor(key);
    ASSERT_TRUE(Ok(by_key));
    EXPECT_FALSE(by_key->has_value()) << "a segment marked for removal keeps no key";
    auto by_id = probe().stat_anchor(anchor->info.shmid);
    ASSERT_TRUE(Ok(by_id));
    ASSERT_TRUE(by_id->has_value()) << "attached: still there under its id";
    EXPECT_TRUE((*by_id)->marked_for_removal);
    EXPECT_EQ((*by_id)->attached, 1u);

    auto reuse = probe().create_anchor(8192, key);  // the key is free again
    ASSERT_TRUE(Ok(reuse));
    ASSERT_TRUE(Ok(probe().remove_anchor(reuse->info.shmid)));
    ASSERT_TRUE(Ok(world().detach(*reuse)));
    ASSERT_TRUE(Ok(world().detach(*anchor)));
}

TEST_P(KernelContract, TheIpcNamespaceIsNamedAndStable) {
    const uint64_t ns = probe().ipc_namespace();
    EXPECT_NE(ns, 0u);
    EXPECT_EQ(probe().ipc_namespace(), ns);
}

}  // namespace semguard
