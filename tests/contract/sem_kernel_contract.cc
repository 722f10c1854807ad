// The SemKernel contract: what LinuxSemKernel does on the real kernel, and what
// FakeSemKernel must therefore do too. Instances: Fake/* and Linux/*.
#include <algorithm>
#include <cerrno>
#include <map>
#include <vector>

#include "kernel_contract.h"

namespace semguard {
namespace {

bool gone(int code) { return code == EINVAL || code == EIDRM; }

const SetInfo* find_set(const std::vector<SetInfo>& sets, int semid) {
    for (const SetInfo& set : sets) {
        if (set.semid == semid) return &set;
    }
    return nullptr;
}

void expect_same_info(const SetInfo& a, const SetInfo& b) {
    EXPECT_EQ(a.semid, b.semid);
    EXPECT_EQ(a.key, b.key);
    EXPECT_EQ(a.uid, b.uid);
    EXPECT_EQ(a.gid, b.gid);
    EXPECT_EQ(a.cuid, b.cuid);
    EXPECT_EQ(a.cgid, b.cgid);
    EXPECT_EQ(a.mode, b.mode);
    EXPECT_EQ(a.nsems, b.nsems);
    EXPECT_EQ(a.otime, b.otime);
    EXPECT_EQ(a.ctime, b.ctime);
}

void expect_same_states(const std::vector<SemState>& a, const std::vector<SemState>& b) {
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].value, b[i].value) << "semaphore " << i;
        EXPECT_EQ(a[i].last_pid, b[i].last_pid) << "semaphore " << i;
        EXPECT_EQ(a[i].waiting, b[i].waiting) << "semaphore " << i;
        EXPECT_EQ(a[i].waiting_zero, b[i].waiting_zero) << "semaphore " << i;
    }
}

// ---- limits and usage ---------------------------------------------------------

TEST_P(KernelContract, LimitsAreWhatKernelSemWasSetTo) {
    ASSERT_TRUE(Ok(world().set_limits(250, 32000, 32, 128)));
    SysResult<SemLimits> limits = kernel().limits();
    ASSERT_TRUE(Ok(limits));
    EXPECT_EQ(limits->semmsl, 250);
    EXPECT_EQ(limits->semmns, 32000);
    EXPECT_EQ(limits->semopm, 32);
    EXPECT_EQ(limits->semmni, 128);
    EXPECT_EQ(limits->semvmx, 32767);  // SEMVMX: fixed in the kernel
    EXPECT_EQ(limits->semaem, 32767);  // SEMAEM = SEMVMX
    EXPECT_GT(limits->semmnu, 0);      // reported...
    EXPECT_GT(limits->semume, 0);
    EXPECT_FALSE(limits->undo_enforced);  // ...but never enforced

    // A second, different write: the values are read, not remembered.
    ASSERT_TRUE(Ok(world().set_limits(100, 5000, 10, 64)));
    limits = kernel().limits();
    ASSERT_TRUE(Ok(limits));
    EXPECT_EQ(limits->semmsl, 100);
    EXPECT_EQ(limits->semmns, 5000);
    EXPECT_EQ(limits->semopm, 10);
    EXPECT_EQ(limits->semmni, 64);
}

TEST_P(KernelContract, NothingIsInUseAtFirst) {
    SysResult<SemUsage> usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 0);
    EXPECT_EQ(usage->semaphores, 0);
    EXPECT_EQ(usage->highest_index, -1);
    SysResult<std::vector<SetInfo>> sets = kernel().list_sets();
    ASSERT_TRUE(Ok(sets));
    EXPECT_TRUE(sets->empty());
}

TEST_P(KernelContract, UsageCountsArraysAndSemaphoresExactly) {
    int a = -1, b = -1, c = -1;
    ASSERT_TRUE(create(&a, 1));
    ASSERT_TRUE(create(&b, 3));
    ASSERT_TRUE(create(&c, 2));

    SysResult<SemUsage> usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 3);
    EXPECT_EQ(usage->semaphores, 6);
    EXPECT_EQ(usage->highest_index, index_of(c));

    ASSERT_TRUE(Ok(kernel().remove_set(b)));
    usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 2);
    EXPECT_EQ(usage->semaphores, 3);
    EXPECT_EQ(usage->highest_index, index_of(c));

    // Removing the highest moves the highest index down past the hole.
    ASSERT_TRUE(Ok(kernel().remove_set(c)));
    usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 1);
    EXPECT_EQ(usage->semaphores, 1);
    EXPECT_EQ(usage->highest_index, index_of(a));

    ASSERT_TRUE(Ok(kernel().remove_set(a)));
    usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 0);
    EXPECT_EQ(usage->semaphores, 0);
    EXPECT_EQ(usage->highest_index, -1);
}

// ---- listing and stat ---------------------------------------------------------

TEST_P(KernelContract, ListSetsReportsEverySetAsCreated) {
    struct Wanted {
        int32_t key;
        unsigned long nsems;
        unsigned mode;
    };
    const std::vector<Wanted> wanted = {{0, 1, 0600}, {0x5e6d0001, 3, 0640}, {-17, 5, 0666}};
    const int64_t before = world().now();
    std::map<int, Wanted> created;
    for (const Wanted& w : wanted) {
        int id = -1;
        ASSERT_TRUE(create(&id, w.nsems, w.mode, w.key));
        created[id] = w;
    }
    const int64_t after = world().now();

    SysResult<std::vector<SetInfo>> sets = kernel().list_sets();
    ASSERT_TRUE(Ok(sets));
    ASSERT_EQ(sets->size(), created.size());
    for (const auto& entry : created) {
        const SetInfo* set = find_set(*sets, entry.first);
        ASSERT_NE(set, nullptr) << "set " << entry.first << " not listed";
        EXPECT_EQ(set->key, entry.second.key);
        EXPECT_EQ(set->nsems, entry.second.nsems);
        EXPECT_EQ(set->mode, entry.second.mode);
        EXPECT_EQ(set->uid, probe().effective_uid());
        EXPECT_EQ(set->cuid, probe().effective_uid());
        EXPECT_EQ(set->gid, world().egid());
        EXPECT_EQ(set->cgid, world().egid());
        EXPECT_EQ(set->otime, 0);  // never operated on
        EXPECT_GE(set->ctime, before);
        EXPECT_LE(set->ctime, after);

        // stat_set tells exactly what the listing told.
        SysResult<SetInfo> stat = kernel().stat_set(entry.first);
        ASSERT_TRUE(Ok(stat));
        expect_same_info(*stat, *set);
    }
}

TEST_P(KernelContract, ListSetsSkipsHolesAndKeepsIndexOrder) {
    std::vector<int> ids(5, -1);
    for (int& id : ids) ASSERT_TRUE(create(&id));
    ASSERT_TRUE(Ok(kernel().remove_set(ids[1])));
    ASSERT_TRUE(Ok(kernel().remove_set(ids[3])));

    SysResult<std::vector<SetInfo>> sets = kernel().list_sets();
    ASSERT_TRUE(Ok(sets));
    ASSERT_EQ(sets->size(), 3u);
    EXPECT_EQ((*sets)[0].semid, ids[0]);
    EXPECT_EQ((*sets)[1].semid, ids[2]);
    EXPECT_EQ((*sets)[2].semid, ids[4]);

    ASSERT_TRUE(Ok(kernel().remove_set(ids[4])));
    sets = kernel().list_sets();
    ASSERT_TRUE(Ok(sets));
    ASSERT_EQ(sets->size(), 2u);
    EXPECT_EQ((*sets)[0].semid, ids[0]);
    EXPECT_EQ((*sets)[1].semid, ids[2]);
}

// A marker between hooks asks SEM_INFO and then walks only the indices above
// the highest it last saw: there are the sets made since (issue #15).
TEST_P(KernelContract, ListSetsBetweenWalksOnlyThoseIndices) {
    std::vector<int> ids(4, -1);
    for (int& id : ids) ASSERT_TRUE(create(&id));
    ASSERT_TRUE(Ok(kernel().remove_set(ids[1])));
    SysResult<SemUsage> seen = kernel().usage();
    ASSERT_TRUE(Ok(seen));

    // The whole range is the listing; an empty range is nothing.
    SysResult<std::vector<SetInfo>> all = kernel().list_sets();
    SysResult<std::vector<SetInfo>> range = kernel().list_sets_between(0, seen->highest_index);
    ASSERT_TRUE(Ok(all));
    ASSERT_TRUE(Ok(range));
    ASSERT_EQ(range->size(), 3u);
    for (size_t i = 0; i < range->size(); ++i) expect_same_info((*range)[i], (*all)[i]);
    range = kernel().list_sets_between(seen->highest_index + 1, seen->highest_index);
    ASSERT_TRUE(Ok(range));
    EXPECT_TRUE(range->empty());

    // A set made after that SEM_INFO, in a fresh namespace above its highest
    // index (cyclic allocation), is exactly what the walk above it finds.
    int later = -1;
    ASSERT_TRUE(create(&later));
    SysResult<SemUsage> now = kernel().usage();
    ASSERT_TRUE(Ok(now));
    ASSERT_GT(now->highest_index, seen->highest_index);
    range = kernel().list_sets_between(seen->highest_index + 1, now->highest_index);
    ASSERT_TRUE(Ok(range));
    ASSERT_EQ(range->size(), 1u);
    EXPECT_EQ((*range)[0].semid, later);
    // A listing says where it found each set: the highest index is this one's.
    EXPECT_EQ((*range)[0].index, now->highest_index);
    // Below it, the hole at ids[1]'s index is skipped.
    range = kernel().list_sets_between(0, seen->highest_index);
    ASSERT_TRUE(Ok(range));
    EXPECT_EQ(range->size(), 3u);
}

TEST_P(KernelContract, ARemovedSetCanNeitherBeReadNorChanged) {
    int id = -1;
    ASSERT_TRUE(create(&id, 2));
    ASSERT_TRUE(Ok(kernel().remove_set(id)));

    SysResult<SetInfo> stat = kernel().stat_set(id);
    ASSERT_FALSE(stat.ok());
    EXPECT_TRUE(gone(stat.error().code)) << stat.error().describe();
    EXPECT_NE(stat.error().call.find(std::to_string(id)), std::string::npos)
        << "the error names the id: " << stat.error().describe();

    SysResult<std::vector<SemState>> states = kernel().read_states(id, 2);
    ASSERT_FALSE(states.ok());
    EXPECT_TRUE(gone(states.error().code)) << states.error().describe();

    SysStatus owner = kernel().set_owner(id, 33, 33, 0660);
    ASSERT_FALSE(owner.ok());
    EXPECT_TRUE(gone(owner.error().code)) << owner.error().describe();

    SysStatus again = kernel().remove_set(id);
    ASSERT_FALSE(again.ok());
    EXPECT_TRUE(gone(again.error().code)) << again.error().describe();

    SysResult<SetInfo> negative = kernel().stat_set(-1);
    ASSERT_FALSE(negative.ok());
    EXPECT_EQ(negative.error().code, EINVAL);
}

TEST_P(KernelContract, RemoveSetFreesItsSemaphores) {
    int keep = -1, drop = -1;
    ASSERT_TRUE(create(&keep, 2));
    ASSERT_TRUE(create(&drop, 4));
    ASSERT_TRUE(Ok(kernel().remove_set(drop)));

    SysResult<SemUsage> usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 1);
    EXPECT_EQ(usage->semaphores, 2);
    SysResult<std::vector<SetInfo>> sets = kernel().list_sets();
    ASSERT_TRUE(Ok(sets));
    ASSERT_EQ(sets->size(), 1u);
    EXPECT_EQ((*sets)[0].semid, keep);
    EXPECT_TRUE(Ok(kernel().stat_set(keep)));
}

TEST_P(KernelContract, AReusedIndexGetsANewId) {
    int first = -1;
    ASSERT_TRUE(create(&first));
    ASSERT_TRUE(Ok(kernel().remove_set(first)));

    // Indices are handed out cyclically, not lowest-free first: the freed index
    // is not the next one given, it comes round again after a while.
    int again = -1;
    int rounds = 0;
    while (again < 0 && rounds < 100000) {
        int id = -1;
        ASSERT_TRUE(create(&id));
        ++rounds;
        if (index_of(id) == index_of(first)) {
            again = id;
            break;
        }
        ASSERT_TRUE(Ok(kernel().remove_set(id)));
    }
    ASSERT_GE(again, 0) << "index " << index_of(first) << " never came back";
    EXPECT_GT(rounds, 1) << "a freed index was handed out again at once";
    EXPECT_NE(again, first);
    EXPECT_EQ(again, first + 32768) << "one wrap: the sequence number moved on by one";

    // The old id does not reach the new set.
    SysResult<SetInfo> old_stat = kernel().stat_set(first);
    ASSERT_FALSE(old_stat.ok());
    EXPECT_TRUE(gone(old_stat.error().code)) << old_stat.error().describe();
    EXPECT_TRUE(Ok(kernel().stat_set(again)));
}

// ---- limits are enforced --------------------------------------------------------

TEST_P(KernelContract, SemmniStopsNewSetsWithEnospc) {
    ASSERT_TRUE(Ok(world().set_limits(250, 32000, 32, 4)));
    std::vector<int> ids(4, -1);
    for (int& id : ids) ASSERT_TRUE(create(&id));

    SysResult<int> fifth = world().create_set(0, 1, 0600);
    ASSERT_FALSE(fifth.ok());
    EXPECT_EQ(fifth.error().code, ENOSPC) << fifth.error().describe();
    SysResult<SemUsage> usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 4);

    ASSERT_TRUE(Ok(kernel().remove_set(ids[2])));
    int replacement = -1;
    EXPECT_TRUE(create(&replacement));
}

// The start-time probe of "can SysV semaphores be used here at all": it leaves
// nothing behind, and at SEMMNI it fails like semget, with ENOSPC (which is the
// headroom check's business, not unusable SysV).
TEST_P(KernelContract, ProbeCreateLeavesNothingAndFailsWithEnospcAtSemmni) {
    ASSERT_TRUE(Ok(world().set_limits(250, 32000, 32, 2)));
    ASSERT_TRUE(Ok(kernel().probe_create()));
    SysResult<std::vector<SetInfo>> sets = kernel().list_sets();
    ASSERT_TRUE(Ok(sets));
    EXPECT_TRUE(sets->empty());
    SysResult<SemUsage> usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 0);
    EXPECT_EQ(usage->semaphores, 0);

    std::vector<int> ids(2, -1);
    for (int& id : ids) ASSERT_TRUE(create(&id));
    SysStatus full = kernel().probe_create();
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.error().code, ENOSPC) << full.error().describe();
    ASSERT_TRUE(Ok(kernel().remove_set(ids[0])));
    EXPECT_TRUE(Ok(kernel().probe_create()));
}

// The creation cursor (issue #15): what the marks between hooks rely on to
// find the sets made since the previous mark without listing the table.
// Linux 5.1 and later allocate indices cyclically; a set made in a hole that a
// removal left below the cursor would be of the next era, so it never hides
// inside a window. The cursor's probe set leaves nothing behind.
TEST_P(KernelContract, CreationCursorsBoundEverySetMadeBetweenThem) {
    std::vector<int> old(4, -1);
    for (int& id : old) ASSERT_TRUE(create(&id));
    SysResult<CreationCursor> a = kernel().creation_cursor();
    ASSERT_TRUE(Ok(a));
    // A removal below the cursor leaves a hole; the next sets still go after it.
    ASSERT_TRUE(Ok(kernel().remove_set(old[1])));
    std::vector<int> made(3, -1);
    for (int& id : made) ASSERT_TRUE(create(&id));
    SysResult<CreationCursor> b = kernel().creation_cursor();
    ASSERT_TRUE(Ok(b));
    ASSERT_EQ(b->era, a->era) << "a fresh namespace does not wrap within 10 creations";
    ASSERT_GT(b->index, a->index);

    SysResult<std::vector<SetInfo>> between =
        kernel().list_sets_between(a->index + 1, b->index - 1);
    ASSERT_TRUE(Ok(between));
    std::vector<int> found;
    for (const auto& s : *between)
        if (s.semid - s.index == a->era) found.push_back(s.semid);
    EXPECT_EQ(found, made) << "exactly the sets made between the cursors, in order";
    for (int id : old) EXPECT_EQ(std::count(found.begin(), found.end(), id), 0);

    // The probes are gone: the table holds the 3 old sets and the 3 new ones.
    SysResult<SemUsage> usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 6);
    EXPECT_EQ(usage->semaphores, 6);
}

// Past the end of the cycle (below 43 sets in use, every 64 indices) the next
// set goes back to the lowest free index, in the next era: two cursors around
// that are never of one era, which is what tells the marks to list.
TEST_P(KernelContract, ACursorAfterTheAllocatorWrapsIsOfTheNextEra) {
    SysResult<CreationCursor> first = kernel().creation_cursor();
    ASSERT_TRUE(Ok(first));
    SysResult<CreationCursor> last = first;
    for (int i = 0; i < 70 && last->era == first->era; ++i) {
        last = kernel().creation_cursor();
        ASSERT_TRUE(Ok(last));
    }
    EXPECT_NE(last->era, first->era);
    EXPECT_LE(last->index, first->index) << "back to the lowest free index";
}

// At the limits the cursor fails as semget does, with ENOSPC, and leaves nothing.
TEST_P(KernelContract, CreationCursorFailsWithEnospcAtSemmni) {
    ASSERT_TRUE(Ok(world().set_limits(250, 32000, 32, 1)));
    int only = -1;
    ASSERT_TRUE(create(&only));
    SysResult<CreationCursor> full = kernel().creation_cursor();
    ASSERT_FALSE(full.ok());
    EXPECT_EQ(full.error().code, ENOSPC) << full.error().describe();
    SysResult<SemUsage> usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 1);
}

TEST_P(KernelContract, SemmnsStopsNewSetsWithEnospcAndSemmslWithEinval) {
    ASSERT_TRUE(Ok(world().set_limits(10, 20, 32, 128)));

    SysResult<int> too_big = world().create_set(0, 11, 0600);
    ASSERT_FALSE(too_big.ok());
    EXPECT_EQ(too_big.error().code, EINVAL) << too_big.error().describe();

    int a = -1, b = -1;
    ASSERT_TRUE(create(&a, 10));
    ASSERT_TRUE(create(&b, 10));
    SysResult<int> one_more = world().create_set(0, 1, 0600);
    ASSERT_FALSE(one_more.ok());
    EXPECT_EQ(one_more.error().code, ENOSPC) << one_more.error().describe();

    SysResult<SemUsage> usage = kernel().usage();
    ASSERT_TRUE(Ok(usage));
    EXPECT_EQ(usage->arrays, 2);
    EXPECT_EQ(usage->semaphores, 20);

    ASSERT_TRUE(Ok(kernel().remove_set(a)));
    int c = -1;
    EXPECT_TRUE(create(&c, 10));
}

// ---- semaphore states -------------------------------------------------------------

TEST_P(KernelContract, ReadStatesShowsSetvalAndAnotherProcessesSemop) {
    int id = -1;
    ASSERT_TRUE(create(&id, 2));
    SysResult<std::vector<SemState>> states = kernel().read_states(id, 2);
    ASSERT_TRUE(Ok(states));
    ASSERT_EQ(states->size(), 2u);
    EXPECT_EQ((*states)[0].value, 0);
    EXPECT_EQ((*states)[0].last_pid, 0);

    ASSERT_TRUE(Ok(world().setval(id, 0, 1)));
    states = kernel().read_states(id, 2);
    ASSERT_TRUE(Ok(states));
    EXPECT_EQ((*states)[0].value, 1);
    EXPECT_EQ((*states)[0].last_pid, probe().self_pid());  // Linux records SETVAL's pid
    EXPECT_EQ((*states)[1].value, 0);
    EXPECT_EQ((*states)[1].last_pid, 0);

    const int64_t before = world().now();
    SysResult<pid_t> taker = world().semop_by_other(id, 0, -1);
    ASSERT_TRUE(Ok(taker));
    SysResult<pid_t> adder = world().semop_by_other(id, 1, +3);
    ASSERT_TRUE(Ok(adder));
    EXPECT_NE(*taker, probe().self_pid());

    states = kernel().read_states(id, 2);
    ASSERT_TRUE(Ok(states));
    EXPECT_EQ((*states)[0].value, 0);
    EXPECT_EQ((*states)[0].last_pid, *taker);
    EXPECT_EQ((*states)[1].value, 3);
    EXPECT_EQ((*states)[1].last_pid, *adder);

    SysResult<SetInfo> stat = kernel().stat_set(id);
    ASSERT_TRUE(Ok(stat));
    EXPECT_GE(stat->otime, before);
    EXPECT_LE(stat->otime, world().now());
}

TEST_P(KernelContract, ReadStatesCountsBlockedWaiters) {
    int id = -1;
    ASSERT_TRUE(create(&id, 2));
    ASSERT_TRUE(Ok(world().setval(id, 1, 1)));  // semaphore 1 is not zero: wait-for-zero blocks

    auto taker1 = world().block_in_semop(id, 0, -1);
    ASSERT_TRUE(Ok(taker1));
    auto taker2 = world().block_in_semop(id, 0, -1);
    ASSERT_TRUE(Ok(taker2));
    auto zero_waiter = world().block_in_semop(id, 1, 0);
    ASSERT_TRUE(Ok(zero_waiter));

    SysResult<std::vector<SemState>> states = kernel().read_states(id, 2);
    ASSERT_TRUE(Ok(states));
    EXPECT_EQ((*states)[0].waiting, 2);
    EXPECT_EQ((*states)[0].waiting_zero, 0);
    EXPECT_EQ((*states)[1].waiting, 0);
    EXPECT_EQ((*states)[1].waiting_zero, 1);

    ASSERT_TRUE(Ok((*taker2)->reap()));
    ASSERT_TRUE(Ok((*zero_waiter)->reap()));
    states = kernel().read_states(id, 2);
    ASSERT_TRUE(Ok(states));
    EXPECT_EQ((*states)[0].waiting, 1);
    EXPECT_EQ((*states)[1].waiting_zero, 0);
}

TEST_P(KernelContract, ReadingChangesNothing) {
    int id = -1;
    ASSERT_TRUE(create(&id, 2));
    ASSERT_TRUE(Ok(world().setval(id, 0, 1)));
    ASSERT_TRUE(Ok(world().semop_by_other(id, 1, +2)));
    auto waiter = world().block_in_semop(id, 1, 0);
    ASSERT_TRUE(Ok(waiter));

    SysResult<SetInfo> stat_before = kernel().stat_set(id);
    ASSERT_TRUE(Ok(stat_before));
    SysResult<std::vector<SemState>> first = kernel().read_states(id, 2);
    ASSERT_TRUE(Ok(first));
    world().next_second();  // a write now would leave a newer ctime or otime
    SysResult<std::vector<SemState>> second = kernel().read_states(id, 2);
    ASSERT_TRUE(Ok(second));
    ASSERT_TRUE(Ok(kernel().list_sets()));
    ASSERT_TRUE(Ok(kernel().usage()));
    SysResult<SetInfo> stat_after = kernel().stat_set(id);
    ASSERT_TRUE(Ok(stat_after));

    expect_same_states(*first, *second);
    expect_same_info(*stat_before, *stat_after);
    EXPECT_EQ((*second)[0].value, 1);
    EXPECT_EQ((*second)[0].last_pid, probe().self_pid());
    EXPECT_EQ((*second)[1].value, 2);
    EXPECT_EQ((*second)[1].waiting_zero, 1);
}

TEST_P(KernelContract, ReadStatesBeyondTheSetFails) {
    int id = -1;
    ASSERT_TRUE(create(&id, 1));
    SysResult<std::vector<SemState>> states = kernel().read_states(id, 2);
    ASSERT_FALSE(states.ok());
    EXPECT_EQ(states.error().code, EINVAL) << states.error().describe();
}

// ---- ownership --------------------------------------------------------------------

TEST_P(KernelContract, SetOwnerChangesOwnerGroupModeAndCtime) {
    int id = -1;
    ASSERT_TRUE(create(&id, 1, 0600));
    SysResult<SetInfo> before = kernel().stat_set(id);
    ASSERT_TRUE(Ok(before));

    world().next_second();
    const int64_t changed_from = world().now();
    ASSERT_TRUE(Ok(kernel().set_owner(id, 33, 44, 0660)));

    SysResult<SetInfo> after = kernel().stat_set(id);
    ASSERT_TRUE(Ok(after));
    EXPECT_EQ(after->uid, 33u);
    EXPECT_EQ(after->gid, 44u);
    EXPECT_EQ(after->mode, 0660u);
    EXPECT_GT(after->ctime, before->ctime);
    EXPECT_GE(after->ctime, changed_from);
    // What identifies the set otherwise stays.
    EXPECT_EQ(after->semid, before->semid);
    EXPECT_EQ(after->key, before->key);
    EXPECT_EQ(after->cuid, before->cuid);
    EXPECT_EQ(after->cgid, before->cgid);
    EXPECT_EQ(after->nsems, before->nsems);
    EXPECT_EQ(after->otime, before->otime);

    // Only permission bits are taken.
    ASSERT_TRUE(Ok(kernel().set_owner(id, 0, 0, 01640)));
    after = kernel().stat_set(id);
    ASSERT_TRUE(Ok(after));
    EXPECT_EQ(after->mode, 0640u);
    EXPECT_EQ(after->uid, 0u);
}

INSTANTIATE_TEST_SUITE_P(Fake, KernelContract, ::testing::Values(fake_world_factory()));
INSTANTIATE_TEST_SUITE_P(Linux, KernelContract, ::testing::Values(linux_world_factory()));

}  // namespace
}  // namespace semguard
