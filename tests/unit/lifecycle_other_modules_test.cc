// Other modules' sets, reloads, parent-only sets and shared state files (issue 11),
// driven as httpd drives the engine (see tests/support/lifecycle_fixture.h).
#include "lifecycle_fixture.h"

#include "run/run_guard.h"
// ---- other modules' sets, reloads, parent-only sets (issue 11) -------------------

namespace semguard {
namespace {

using namespace semguard::test;  // NOLINT: the fixture's steps and constants

// A module outside httpd's Mutex table (like ModSecurity) in a REALLY_LAST
// post_config hook, loaded after mod_semguard: its hooks run after our last mark.
const std::vector<WindowHook> kLeakerSpan{{"mod_leaktest.c", CreatedIn::PostConfig}};

class OtherModulesTest : public LifecycleTest {
protected:
    // One pass in which, besides httpd's own sets, the leaking module makes one
    // set in its REALLY_LAST hook (handed to User, as APR does).
    PassVerdict leaky_pass(PassKind kind, long generation, pid_t pid, PassSets& made, int& leak) {
        const PassInput in = input(kind, generation);
        const PassVerdict v = begin_pass(in, mem_, kernel_, probe_, log_);
        if (v == PassVerdict::Refuse) return v;
        clock_->advance(1);
        made.accept = httpd_creates(pid);
        mark_after_mpm(mem_, kernel_, kind);
        if (kind == PassKind::Preflight) made.cache = httpd_creates(pid);
        made.map = httpd_creates(pid);
        mark_span(mem_, kernel_);
        mark_span(mem_, kernel_);
        mark_span(mem_, kernel_);
        leak = httpd_creates(pid);
        end_pass(in, mem_, kernel_, probe_, log_, kWindow1, kWindow2, {{}, {}, kLeakerSpan});
        clock_->advance(1);
        return v;
    }
    // Start to a serving parent; `leaks` gets the module's sets of both passes.
    PassSets leaky_start(std::vector<int>& leaks) {
        PassSets pre, real;
        int leak = -1;
        EXPECT_EQ(leaky_pass(PassKind::Preflight, 0, kPreflightPid, pre, leak),
                  PassVerdict::Proceed);
        leaks.push_back(leak);
        clear_pconf(mem_, pre);
        detach();
        EXPECT_EQ(leaky_pass(PassKind::FirstReal, 1, kParentPid, real, leak), PassVerdict::Proceed);
        leaks.push_back(leak);
        real.cache = pre.cache;
        return real;
    }
    void loaded_leaker() { facts_.modules.insert("mod_leaktest.c"); }
};

TEST_F(OtherModulesTest, ReallyLastSetIsRecordedAndNamedByItsModule) {
    loaded_leaker();
    std::vector<int> leaks;
    const PassSets s = leaky_start(leaks);
    const Record r = state();
    for (int id : leaks) {
        const RecordedSet* set = find_set(r, id);
        ASSERT_NE(set, nullptr) << "set " << id << " of a REALLY_LAST hook is not recorded";
        EXPECT_EQ(set->type, "");
        EXPECT_EQ(set->module, "mod_leaktest.c");
        EXPECT_EQ(set_origin(*set), "mod_leaktest.c, outside httpd's Mutex table");
    }
    // httpd's own sets keep their types; the carried preflight leak is not
    // relabelled as the process-pool type (ssl-cache).
    EXPECT_EQ(find_set(r, s.map)->type, "rewrite-map");
    EXPECT_EQ(find_set(r, s.cache)->type, "ssl-cache");
    EXPECT_EQ(find_set(r, s.accept)->type, "mpm-accept");
    // The census (SG0135) at the end of the real pass, not of the preflight:
    // httpd's types with their mechanism, and the module's sets outside the table.
    const auto census = log_.with_tag("SG0135");
    ASSERT_EQ(census.size(), 1u);
    EXPECT_NE(census[0].text.find("mpm-accept: 1, sysvsem"), std::string::npos) << census[0].text;
    EXPECT_NE(census[0].text.find("2 outside it, SysV semaphores the modules create themselves "
                                  "(mod_leaktest.c: 2)"),
              std::string::npos)
        << census[0].text;
}

TEST_F(OtherModulesTest, ASetMadeBesideAnUnknownModuleIsNotLabelledSslCache) {
    // The unknown module's hook runs at MIDDLE, beside mod_ssl and mod_rewrite,
    // and its set survives the reload like the session cache: "unknown", not ssl-cache.
    loaded_leaker();
    const std::vector<WindowHook> middle{{"mod_rewrite.c", CreatedIn::PostConfig},
                                         {"mod_leaktest.c", CreatedIn::PostConfig},
                                         {"mod_ssl.c", CreatedIn::PostConfig}};
    const PassInput in = input(PassKind::Preflight, 0);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    const int foreign = httpd_creates(kPreflightPid);
    end_pass(in, mem_, kernel_, probe_, log_, kWindow1, middle);
    probe_.set_self(kParentPid, kParentTicks);
    PassSets s;
    ASSERT_EQ(pass(PassKind::FirstReal, 1, kParentPid, s), PassVerdict::Proceed);
    const RecordedSet* set = find_set(state(), foreign);
    ASSERT_NE(set, nullptr);
    EXPECT_EQ(set->type, "") << "a third-party set labelled as a type";
}

TEST_F(OtherModulesTest, GracefulRestartGrowthIsReportedOncePerRestartAndNothingRemoved) {
    loaded_leaker();
    std::vector<int> leaks;
    PassSets s = leaky_start(leaks);
    for (long gen = 2; gen <= 4; ++gen) {
        log_.clear();
        clear_pconf(mem_, s);
        int leak = -1;
        ASSERT_EQ(leaky_pass(PassKind::Restart, gen, kParentPid, s, leak), PassVerdict::Proceed);
        leaks.push_back(leak);
        ASSERT_EQ(log_.count(tag::kRestartGrowth), 1u) << log_.dump();
        EXPECT_EQ(log_.first(tag::kRestartGrowth).level, Level::Warn);
        EXPECT_TRUE(log_.has(tag::kRestartGrowth, "mod_leaktest.c: 1 set(s) per restart"))
            << log_.dump();
        ASSERT_EQ(mem_.restart_growth.size(), 1u);
        EXPECT_EQ(mem_.restart_growth[0].module, "mod_leaktest.c");
        EXPECT_EQ(mem_.restart_growth[0].sets, 1);
    }
    for (int id : leaks) EXPECT_TRUE(exists(id)) << "a set of the live run was removed";
    EXPECT_EQ(state().sets.size(), 3u + leaks.size());  // accept, map, cache + the leaks
}

TEST_F(OtherModulesTest, CleanStopRemovesWhatCleanupsLeftOnceEveryProcessIsGone) {
    loaded_leaker();
    std::vector<int> leaks;
    const PassSets s = leaky_start(leaks);
    log_.clear();
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    // httpd's pconf cleanups remove its own config-lifetime sets.
    ASSERT_TRUE(kernel_.remove_set(s.accept).ok());
    ASSERT_TRUE(kernel_.remove_set(s.map).ok());
    EXPECT_EQ(sweep_at_stop(mem_, kernel_, log_, clock_->now()), 2);
    for (int id : leaks) EXPECT_FALSE(exists(id));
    EXPECT_TRUE(exists(s.cache)) << "the process pool's cleanup removes ssl-cache itself";
    ASSERT_EQ(log_.count(tag::kStopSweep), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kStopSweep).level, Level::Notice);
    EXPECT_TRUE(log_.has(tag::kStopSweep, "mod_leaktest.c (outside httpd's Mutex table): 2"))
        << log_.dump();
    const Record r = state();
    EXPECT_EQ(r.phase, RunPhase::Stopped);
    for (int id : leaks) EXPECT_EQ(find_set(r, id), nullptr);
    EXPECT_EQ(sweep_at_stop(mem_, kernel_, log_, clock_->now()), 0) << "once";
}

TEST_F(OtherModulesTest, CleanStopRemovesNothingWhileAChildOfTheRunLives) {
    loaded_leaker();
    std::vector<int> leaks;
    const PassSets s = leaky_start(leaks);
    fork_children(s);  // still attached to the anchor (graceful-stop timed out, say)
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    EXPECT_EQ(sweep_at_stop(mem_, kernel_, log_, clock_->now()), 0);
    for (int id : leaks) EXPECT_TRUE(exists(id));
    EXPECT_EQ(log_.count(tag::kStopSweep), 0u);
}

TEST_F(OtherModulesTest, SslCacheRemovedFromOutsideBeforeAGracefulRestartIsNotForgotten) {
    PassSets s = start_server();
    ASSERT_TRUE(kernel_.remove_set(s.cache).ok());  // ipcrm by a cleanup script
    log_.clear();
    clear_pconf(mem_, s);
    ASSERT_EQ(log_.count(tag::kSetRemoved), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kSetRemoved, std::to_string(s.cache) + " (ssl-cache) removed"));
    EXPECT_FALSE(log_.has(tag::kSetRemoved, "will stop serving"));
    ASSERT_EQ(pass(PassKind::Restart, 2, kParentPid, s), PassVerdict::Proceed);
    Record r = state();
    ASSERT_EQ(r.removed_outside.size(), 1u);
    EXPECT_EQ(r.removed_outside[0].semid, s.cache);
    EXPECT_EQ(r.removed_outside[0].type, "ssl-cache");
}

TEST_F(OtherModulesTest, CleanStopAfterARemovalIsNotCalledTheReasonItStopped) {
    PassSets s = start_server();
    ASSERT_TRUE(kernel_.remove_set(s.map).ok());  // ipcrm of a live set
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    ASSERT_TRUE(kernel_.remove_set(s.accept).ok());
    probe_.remove_process(kParentPid);
    RunMemory next;
    PassSets n;
    ASSERT_EQ(next_start(next, n), PassVerdict::Proceed);
    ASSERT_EQ(log_.count(tag::kPostMortem), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "shut down")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "were removed from outside")) << log_.dump();
    EXPECT_FALSE(log_.has(tag::kPostMortem, "likely reason it stopped")) << log_.dump();
}

TEST_F(OtherModulesTest, ParentOnlySetRaisesNoAlarmButAChangedOneDoes) {
    const PassInput in = input(PassKind::Preflight, 0);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    auto kept = kernel_.create_set(0, 1, 0600, 0, 0, 0, 0, kPreflightPid);  // root's, 0600
    ASSERT_TRUE(kept.ok());
    ASSERT_TRUE(kernel_.set_value(*kept, 0, 1, kPreflightPid).ok());
    const int handed = httpd_creates(kPreflightPid);
    end_pass(in, mem_, kernel_, probe_, log_, kWindow1, kWindow2);
    ASSERT_NE(find_set(mem_.record, *kept), nullptr);
    anchor_block(mem_.anchor)->live_generation.store(mem_.record.generation);

    const ChildIdentity child{kWww, kWwwGroup, {}};
    log_.clear();
    EXPECT_EQ(child_check(mem_, kernel_, probe_, child, log_, clock_->now(), false), 0)
        << log_.dump();
    EXPECT_EQ(log_.count(tag::kSetUnusable), 0u);

    // The set handed to the children re-owned to root from outside: SG0302 stays.
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(handed, 0, 0, 0600).ok());
    EXPECT_EQ(child_check(mem_, kernel_, probe_, child, log_, clock_->now(), false), 1);
    EXPECT_EQ(log_.count(tag::kSetUnusable), 1u) << log_.dump();
}

TEST_F(OtherModulesTest, ProtectLeavesAParentOnlySetAsItIs) {
    settings_.protect = true;
    const PassInput in = input(PassKind::Preflight, 0);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    auto kept = kernel_.create_set(0, 1, 0600, 0, 0, 0, 0, kPreflightPid);
    ASSERT_TRUE(kept.ok());
    ASSERT_TRUE(kernel_.set_value(*kept, 0, 1, kPreflightPid).ok());
    end_pass(in, mem_, kernel_, probe_, log_, kWindow1, kWindow2);
    auto now = kernel_.stat_set(*kept);
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(now->mode, 0600u) << "a parent-only set must not be handed to the group";
    EXPECT_EQ(now->gid, 0u);
}

TEST_F(OtherModulesTest, EnabledByReloadNamesTheSetsItCannotVouchFor) {
    // The running server (parent 101) made a process-pool set before the module
    // was loaded; its children used it.
    probe_.set_self(kParentPid, kParentTicks);
    const int before = httpd_creates(kParentPid);
    probe_.fork_process(kParentPid, kChildA, kParentTicks + 5);
    ASSERT_TRUE(kernel_.semop(before, 0, -1, kChildA).ok());
    ASSERT_TRUE(kernel_.semop(before, 0, 1, kChildA).ok());
    // Another program's set of the same shape, untouched by this server.
    auto foreign = kernel_.create_set(0, 1, 0600, 0, 0, 0, 0, 7000);
    ASSERT_TRUE(foreign.ok());
    ASSERT_TRUE(kernel_.set_value(*foreign, 0, 1, 7000).ok());

    PassSets s;
    ASSERT_EQ(pass(PassKind::Restart, 5, kParentPid, s), PassVerdict::Proceed);
    EXPECT_EQ(mem_.unvouched, std::vector<int>{before});
    EXPECT_EQ(mem_.startup.unvouched, std::vector<int>{before});
    ASSERT_EQ(log_.count(tag::kUnvouched), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kUnvouched).level, Level::Warn);
    EXPECT_TRUE(log_.has(tag::kUnvouched, "full restart")) << log_.dump();
    EXPECT_EQ(log_.count(tag::kRestartGrowth), 0u);
    // The new generation's own sets are recorded from now on.
    EXPECT_NE(find_set(state(), s.map), nullptr);
}

TEST_F(OtherModulesTest, SharedStateFileIsNamed) {
    Record other;
    other.instance = {"/srv/other", "/srv/other/httpd.conf", "/srv/other/httpd.pid"};
    other.run.parent_pid = 90;
    other.run.boot_id = probe_.boot_id();
    other.phase = RunPhase::Running;
    other.written_at = clock_->now() - 10;
    ASSERT_TRUE(write_state_file(settings_.state_file, other).ok());
    PassSets pre;
    pass(PassKind::Preflight, 0, kPreflightPid, pre);
    ASSERT_EQ(log_.count(tag::kStateShared), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kStateShared, "/srv/other/httpd.conf"));
    EXPECT_TRUE(log_.has(tag::kStateShared, "own SemGuardStateFile"));
}

TEST_F(OtherModulesTest, SharedStateFileIsNamedAtTheFirstInstancesNextRestart) {
    PassSets s = start_server();
    Record other;
    other.instance = {"/srv/other", "/srv/other/httpd.conf", "/srv/other/httpd.pid"};
    other.run.parent_pid = 90;
    other.run.boot_id = probe_.boot_id();
    other.phase = RunPhase::Running;
    other.written_at = clock_->now();
    ASSERT_TRUE(write_state_file(settings_.state_file, other).ok());
    log_.clear();
    clear_pconf(mem_, s);
    ASSERT_EQ(pass(PassKind::Restart, 2, kParentPid, s), PassVerdict::Proceed);
    EXPECT_EQ(log_.count(tag::kStateShared), 1u) << log_.dump();
}

TEST_F(OtherModulesTest, ThousandsOfLookalikesMakeOneShortLine) {
    for (int i = 0; i < 2000; ++i) {
        auto id = kernel_.create_set(0, 1, 0600, kWww, kWwwGroup, 0, 0, 7000);
        ASSERT_TRUE(id.ok());
    }
    PassSets pre;
    pass(PassKind::Preflight, 0, kPreflightPid, pre);
    ASSERT_EQ(log_.count(tag::kLookalikes), 1u);
    const std::string text = log_.first(tag::kLookalikes).text;
    EXPECT_LT(text.size(), 600u) << text;
    EXPECT_TRUE(contains(text, "2000 semaphore set(s)")) << text;
    EXPECT_TRUE(contains(text, "and 1990 more (the full list is on the status page)")) << text;
    EXPECT_EQ(mem_.startup.lookalikes.size(), 2000u);
}

}  // namespace
}  // namespace semguard
