// The children's guard, SemGuardProtect and the attribution of sets inside a
// pass, driven as httpd drives the engine (see tests/support/lifecycle_fixture.h).
#include "lifecycle_fixture.h"

namespace semguard {
namespace {

using namespace semguard::test;  // NOLINT: the fixture's steps and constants

// ---- the children's guard --------------------------------------------------------------

ChildIdentity www_child() { return {kWww, kWwwGroup, {kWwwGroup}}; }

TEST_F(LifecycleTest, ChildCheckFindsNothingWrongNormally) {
    PassSets s = start_server();
    fork_children(s);
    const RunMemory child = mem_;  // what fork gave the child
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 0);
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), true), 0);
    EXPECT_EQ(log_.count(tag::kSetRemoved), 0u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kSetUnusable), 0u) << log_.dump();
}

TEST_F(LifecycleTest, RemovedSetIsReportedOnceForTheWholeRun) {
    PassSets s = start_server();
    fork_children(s);
    ASSERT_TRUE(kernel_.remove_set(s.map).ok());  // ipcrm -s from a cleanup script
    const RunMemory child_a = mem_;
    const RunMemory child_b = mem_;
    log_.clear();
    EXPECT_EQ(child_check(child_a, kernel_, probe_, www_child(), log_, clock_->now(), false), 1);
    ASSERT_EQ(log_.count(tag::kSetRemoved), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kSetRemoved).level, Level::Emerg);
    EXPECT_TRUE(
        log_.has(tag::kSetRemoved, "set " + std::to_string(s.map) + " (rewrite-map) removed"))
        << log_.dump();
    EXPECT_TRUE(log_.has(tag::kSetRemoved, "RemoveIPC")) << log_.dump();
    // Another child, and the same child at exit: found, not said again.
    EXPECT_EQ(child_check(child_b, kernel_, probe_, www_child(), log_, clock_->now(), false), 1);
    EXPECT_EQ(child_check(child_a, kernel_, probe_, www_child(), log_, clock_->now(), true), 1);
    EXPECT_EQ(log_.count(tag::kSetRemoved), 1u) << log_.dump();

    // The parent's exit records it for the post-mortem without a second SG0301.
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    EXPECT_EQ(log_.count(tag::kSetRemoved), 1u) << log_.dump();
    const Record r = state();
    EXPECT_EQ(r.phase, RunPhase::Stopped);
    ASSERT_EQ(r.removed_outside.size(), 1u);
    EXPECT_EQ(r.removed_outside[0].semid, s.map);
    EXPECT_EQ(r.removed_outside[0].type, "rewrite-map");
}

TEST_F(LifecycleTest, RemovalSeenOnlyByTheParentIsReportedAtExit) {
    PassSets s = start_server();
    ASSERT_TRUE(kernel_.remove_set(s.accept).ok());
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    ASSERT_EQ(log_.count(tag::kSetRemoved), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kSetRemoved, std::to_string(s.accept) + " (mpm-accept)"))
        << log_.dump();
    const Record r = state();
    ASSERT_EQ(r.removed_outside.size(), 1u);
    EXPECT_EQ(r.removed_outside[0].type, "mpm-accept");

    // The next start names it in the post-mortem.
    probe_.remove_process(kParentPid);
    log_.clear();
    probe_.set_self(200, 2000);
    RunMemory next;
    begin_pass(input(PassKind::Preflight, 0), next, kernel_, probe_, log_);
    EXPECT_TRUE(log_.has(tag::kPostMortem, std::to_string(s.accept) + " (mpm-accept)"))
        << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "removed from outside")) << log_.dump();
}

TEST_F(LifecycleTest, NoReportWhileTheParentRetiresTheGeneration) {
    PassSets s = start_server();
    fork_children(s);
    const RunMemory child = mem_;
    clear_pconf(mem_, s);  // graceful restart: the parent removes them itself
    log_.clear();
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), true), 0);
    EXPECT_TRUE(log_.empty()) << log_.dump();
}

TEST_F(LifecycleTest, ChildOfAnOlderGenerationSaysNothing) {
    PassSets s = start_server();
    fork_children(s);
    const RunMemory old_child = mem_;
    clear_pconf(mem_, s);
    PassSets s2;
    pass(PassKind::Restart, 2, kParentPid, s2);
    log_.clear();
    // The old child exits after the restart: its generation's sets are gone, rightly.
    EXPECT_EQ(child_check(old_child, kernel_, probe_, www_child(), log_, clock_->now(), true), 0);
    EXPECT_TRUE(log_.empty()) << log_.dump();
}

TEST_F(LifecycleTest, SetMadeUnusableFromOutsideIsReportedOnce) {
    PassSets s = start_server();
    fork_children(s);
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, 0, 0, 0600).ok());  // ipcs -s ... chown root
    const RunMemory child = mem_;
    log_.clear();
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 1);
    ASSERT_EQ(log_.count(tag::kSetUnusable), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kSetUnusable).level, Level::Emerg);
    EXPECT_TRUE(log_.has(tag::kSetUnusable, std::to_string(s.accept) + " (mpm-accept)"))
        << log_.dump();
    EXPECT_TRUE(log_.has(tag::kSetUnusable, "uid 33")) << log_.dump();
    EXPECT_EQ(log_.count(tag::kSetRemoved), 0u) << "not a removal\n" << log_.dump();
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 1);
    EXPECT_EQ(log_.count(tag::kSetUnusable), 1u) << log_.dump();
}

// Every child killed at once (kill -9, as an operator does) can catch the one
// that claimed the report before it wrote its line: the next child says it.
TEST_F(LifecycleTest, ReportsOfAChildKilledWhileWritingAreTakenOver) {
    PassSets s = start_server();
    fork_children(s);
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, 0, 0, 0600).ok());
    ASSERT_TRUE(kernel_.remove_set(s.map).ok());
    AnchorBlock* b = anchor_block(mem_.anchor);
    ASSERT_NE(b, nullptr);
    const pid_t killed = 4999;  // claimed both reports, then died: not a live process
    b->unusable_reported.store(static_cast<uint32_t>(killed));
    b->removal_reported.store(static_cast<uint32_t>(killed));
    const RunMemory child = mem_;
    log_.clear();
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 2);
    EXPECT_EQ(log_.count(tag::kSetUnusable), 1u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kSetRemoved), 1u) << log_.dump();
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 2);
    EXPECT_EQ(log_.count(tag::kSetUnusable), 1u) << "written once, then never again\n"
                                                 << log_.dump();
    EXPECT_EQ(log_.count(tag::kSetRemoved), 1u) << log_.dump();
}

// A claimant that is still alive writes its own line: nobody doubles it.
TEST_F(LifecycleTest, ALiveClaimantIsNotDoubled) {
    PassSets s = start_server();
    fork_children(s);
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, 0, 0, 0600).ok());
    AnchorBlock* b = anchor_block(mem_.anchor);
    ASSERT_NE(b, nullptr);
    b->unusable_reported.store(static_cast<uint32_t>(kChildA));  // alive, still writing
    const RunMemory child = mem_;
    log_.clear();
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 1);
    EXPECT_EQ(log_.count(tag::kSetUnusable), 0u) << log_.dump();
}

TEST_F(LifecycleTest, ChangeFromOutsideThatStillAllowsUseIsFine) {
    PassSets s = start_server();
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, kWww, kWwwGroup, 0666).ok());
    const RunMemory child = mem_;
    log_.clear();
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 0);
    EXPECT_TRUE(log_.empty()) << log_.dump();
}

// A set re-moded from outside is the same set (same id, key, creator, size;
// only ctime moved): the child guard calls that "changed from outside", and it
// is not a removal. At exit (child or parent) the same set must not turn into
// a "removal from outside" (SG0301, removed_outside, and a post-mortem that
// blames a removal for the end of the run).
TEST_F(LifecycleTest, SetRemodedFromOutsideIsNoRemovalAtExit) {
    PassSets s = start_server();
    fork_children(s);
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, kWww, kWwwGroup, 0666).ok());
    const RunMemory child = mem_;
    log_.clear();
    child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), /*at_exit=*/true);
    EXPECT_EQ(log_.count(tag::kSetRemoved), 0u) << log_.dump();
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    EXPECT_EQ(log_.count(tag::kSetRemoved), 0u) << log_.dump();
    EXPECT_TRUE(state().removed_outside.empty());
}

TEST_F(LifecycleTest, ReadWithoutAlterIsNotUsable) {
    PassSets s = start_server();
    clock_->advance(1);
    // Group may read but not alter: a lock needs both.
    ASSERT_TRUE(kernel_.set_owner(s.accept, 0, kWwwGroup, 0640).ok());
    const RunMemory child = mem_;
    log_.clear();
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 1);
    EXPECT_TRUE(log_.has(tag::kSetUnusable, "mode 640")) << log_.dump();
}

// A SemKernel that lets the world move while the engine is looking: the
// parent begins a graceful restart in the middle of a child's check.
class RacingKernel : public SemKernel {
public:
    RacingKernel(SemKernel& real, std::function<void()> on_first_stat)
        : real_(real), hook_(std::move(on_first_stat)) {}
    SysResult<SemLimits> limits() override { return real_.limits(); }
    SysResult<SemUsage> usage() override { return real_.usage(); }
    SysResult<std::vector<SetInfo>> list_sets() override { return real_.list_sets(); }
    SysResult<std::vector<SetInfo>> list_sets_between(int first, int last) override {
        return real_.list_sets_between(first, last);
    }
    SysResult<SetInfo> stat_set(int semid) override {
        if (hook_) {
            auto hook = std::move(hook_);
            hook_ = nullptr;
            hook();
        }
        return real_.stat_set(semid);
    }
    SysResult<std::vector<SemState>> read_states(int semid, unsigned long nsems) override {
        return real_.read_states(semid, nsems);
    }
    SysStatus remove_set(int semid) override { return real_.remove_set(semid); }
    SysStatus set_owner(int semid, uid_t uid, gid_t gid, unsigned mode) override {
        return real_.set_owner(semid, uid, gid, mode);
    }

private:
    SemKernel& real_;
    std::function<void()> hook_;
};

TEST_F(LifecycleTest, RestartBegunDuringTheCheckIsNoRemoval) {
    PassSets s = start_server();
    fork_children(s);
    const RunMemory child = mem_;
    // The child exits while the parent clears pconf: the first stat already
    // sees the parent retiring and removing the generation's sets.
    RacingKernel racing(kernel_, [&] { clear_pconf(mem_, s); });
    log_.clear();
    EXPECT_EQ(child_check(child, racing, probe_, www_child(), log_, clock_->now(), true), 0);
    EXPECT_TRUE(log_.empty()) << log_.dump();
}

TEST_F(LifecycleTest, ChildRunningAsRootCanUseAnything) {
    PassSets s = start_server();
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, 0, 0, 0600).ok());
    const RunMemory child = mem_;
    EXPECT_EQ(
        child_check(child, kernel_, probe_, ChildIdentity{0, 0, {}}, log_, clock_->now(), false),
        0);
}

TEST_F(LifecycleTest, ChildCheckBeforeAnyStartIsQuiet) {
    RunMemory empty;
    EXPECT_EQ(child_check(empty, kernel_, probe_, www_child(), log_, clock_->now(), false), 0);
    EXPECT_TRUE(log_.empty());
}

// ---- SemGuardProtect -----------------------------------------------------------------

TEST_F(LifecycleTest, ProtectReownsEverySetToRootAndGroup) {
    settings_.protect = true;
    PassSets s = start_server();
    const Record r = state();
    ASSERT_EQ(r.sets.size(), 3u);
    for (const auto& rec : r.sets) {
        auto live = kernel_.stat_set(rec.identity.semid);
        ASSERT_TRUE(live.ok());
        EXPECT_EQ(live->uid, live->cuid) << rec.identity.semid;
        EXPECT_EQ(live->uid, 0u);
        EXPECT_EQ(live->gid, kWwwGroup);
        EXPECT_EQ(live->mode, 0660u);
        EXPECT_TRUE(rec.is_protected) << rec.identity.semid;
        EXPECT_TRUE(same_set(rec.identity, live.value())) << "the record follows the re-owning";
    }
    // The children still lock through the group, and nothing is reported.
    fork_children(s);
    const RunMemory child = mem_;
    EXPECT_EQ(child_check(child, kernel_, probe_, www_child(), log_, clock_->now(), false), 0);
    EXPECT_EQ(log_.count(tag::kProtectFailed), 0u) << log_.dump();
    // Protected sets are not look-alikes of anyone.
    EXPECT_TRUE(find_lookalikes(kernel_.list_sets().value(), kWww, {}).empty());
}

TEST_F(LifecycleTest, ProtectedSetsSurviveARestartAndStayProtected) {
    settings_.protect = true;
    PassSets s = start_server();
    clear_pconf(mem_, s);
    PassSets s2;
    pass(PassKind::Restart, 2, kParentPid, s2);
    const Record r = state();
    ASSERT_EQ(r.sets.size(), 3u);
    for (const auto& rec : r.sets) EXPECT_TRUE(rec.is_protected) << rec.identity.semid;
    // A crash now: the protected sets are still reclaimed (the record follows them).
    probe_.remove_process(kParentPid);
    probe_.set_self(200, 2000);
    RunMemory next;
    begin_pass(input(PassKind::Preflight, 0), next, kernel_, probe_, log_);
    EXPECT_FALSE(exists(s2.accept));
    EXPECT_FALSE(exists(s2.map));
    EXPECT_FALSE(exists(s.cache));
}

TEST_F(LifecycleTest, ProtectFailureIsReported) {
    settings_.protect = true;
    const PassInput in = input(PassKind::Preflight, 0);
    begin_pass(in, mem_, kernel_, probe_, log_);
    const int accept = httpd_creates(kPreflightPid);
    mark_after_mpm(mem_, kernel_, in.kind);
    kernel_.fail_next(FakeSemKernel::Op::SetOwner, EPERM);
    end_pass(in, mem_, kernel_, probe_, log_, kWindow1, {});
    ASSERT_EQ(log_.count(tag::kProtectFailed), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kProtectFailed, std::to_string(accept))) << log_.dump();
    const Record r = state();
    ASSERT_EQ(r.sets.size(), 1u);
    EXPECT_FALSE(r.sets[0].is_protected);
    EXPECT_EQ(kernel_.stat_set(accept)->uid, kWww);
}

TEST_F(LifecycleTest, WithoutProtectNothingIsReowned) {
    start_server();
    for (const auto& rec : state().sets) {
        EXPECT_FALSE(rec.is_protected);
        EXPECT_EQ(kernel_.stat_set(rec.identity.semid)->uid, kWww);
        EXPECT_EQ(kernel_.stat_set(rec.identity.semid)->mode, 0600u);
    }
}

// ---- attribution inside a pass ---------------------------------------------------------

TEST_F(LifecycleTest, SetsOfOtherProcessesDuringThePassAreNotRecorded) {
    const PassInput in = input(PassKind::Preflight, 0);
    begin_pass(in, mem_, kernel_, probe_, log_);
    const int accept = httpd_creates(kPreflightPid);
    const int foreign = httpd_creates(5555);  // another httpd starting at the same time
    mark_after_mpm(mem_, kernel_, in.kind);
    auto user = kernel_.create_set(0, 1, 0600, 1000, 1000, 1000, 1000, kPreflightPid);
    ASSERT_TRUE(user.ok());
    ASSERT_TRUE(kernel_.set_value(*user, 0, 1, kPreflightPid).ok());
    end_pass(in, mem_, kernel_, probe_, log_, kWindow1, kWindow2);
    const Record r = state();
    ASSERT_EQ(r.sets.size(), 1u);
    EXPECT_EQ(r.sets[0].identity.semid, accept);
    EXPECT_EQ(find_set(r, foreign), nullptr);
    EXPECT_EQ(find_set(r, *user), nullptr);
}

TEST_F(LifecycleTest, SetsCreatedBetweenPassesByOthersAreNotRecorded) {
    PassSets pre;
    pass(PassKind::Preflight, 0, kPreflightPid, pre);
    clear_pconf(mem_, pre);
    // While httpd detaches, another httpd instance (root) creates its mutex.
    const int foreign = httpd_creates(5555);
    detach();
    PassSets real;
    pass(PassKind::FirstReal, 1, kParentPid, real);
    const Record r = state();
    EXPECT_EQ(r.sets.size(), 3u);
    EXPECT_EQ(find_set(r, foreign), nullptr);
    EXPECT_NE(find_set(r, real.accept), nullptr);
    EXPECT_NE(find_set(r, real.map), nullptr);
    EXPECT_TRUE(exists(foreign));
}

TEST_F(LifecycleTest, WithoutTheMiddleSnapshotBothWindowsTypeTogether) {
    PassSets pre;
    pass(PassKind::Preflight, 0, kPreflightPid, pre);
    clear_pconf(mem_, pre);
    detach();
    const PassInput in = input(PassKind::FirstReal, 1);
    begin_pass(in, mem_, kernel_, probe_, log_);
    const int accept = httpd_creates(kParentPid);
    // The window's walk fails, and so does the listing it falls back to.
    kernel_.fail_next(FakeSemKernel::Op::ListSets, EACCES);
    kernel_.fail_next(FakeSemKernel::Op::ListSets, EACCES);
    mark_after_mpm(mem_, kernel_, in.kind);  // fails: everything is one window
    const int map = httpd_creates(kParentPid);
    end_pass(in, mem_, kernel_, probe_, log_, kWindow1, kWindow2);
    const Record r = state();
    ASSERT_EQ(r.sets.size(), 3u);
    EXPECT_EQ(find_set(r, pre.cache)->type, "ssl-cache");
    EXPECT_EQ(find_set(r, accept)->type, "") << "two sets, two candidates";
    EXPECT_EQ(find_set(r, map)->type, "");
}

}  // namespace
}  // namespace semguard
