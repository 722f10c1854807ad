// The normal life of a server and the headroom check at its starts, driven as
// httpd drives the engine (see tests/support/lifecycle_fixture.h).
#include "lifecycle_fixture.h"

namespace semguard {
namespace {

using namespace semguard::test;  // NOLINT: the fixture's steps and constants

// ---- the normal life of a server --------------------------------------------------

TEST_F(LifecycleTest, PreflightRecordsThreeSets) {
    const PassInput in = input(PassKind::Preflight, 0);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    EXPECT_TRUE(mem_.started);
    EXPECT_EQ(mem_.startup.summary, "no previous run recorded");
    EXPECT_EQ(mem_.need.arrays, 3);

    // Starting record before any mutex exists.
    Record r = state();
    EXPECT_EQ(r.phase, RunPhase::Starting);
    EXPECT_EQ(r.generation, 0);
    EXPECT_EQ(r.instance, instance());
    EXPECT_EQ(r.run.parent_pid, kPreflightPid);
    EXPECT_EQ(r.run.parent_start_ticks, kPreflightTicks);
    EXPECT_EQ(r.run.boot_id, probe_.boot_id());
    EXPECT_EQ(r.run.euid, 0u);
    EXPECT_GE(r.run.anchor_shmid, 0);
    EXPECT_EQ(r.run.anchor_creator, kPreflightPid);
    EXPECT_EQ(r.written_at, in.now);
    EXPECT_TRUE(r.sets.empty());
    auto anchor = probe_.stat_anchor(r.run.anchor_shmid);
    ASSERT_TRUE(anchor.ok() && anchor->has_value());
    EXPECT_EQ(anchor->value().ctime, r.run.anchor_ctime);
    ASSERT_NE(anchor_block(mem_.anchor), nullptr);

    clock_->advance(1);
    const int accept = httpd_creates(kPreflightPid);
    const int list_calls = kernel_.calls(FakeSemKernel::Op::ListSets);
    mark_after_mpm(mem_, kernel_, in.kind);
    // One walk of the indices above the highest one (no listing), for the notes:
    // a preflight killed after the MPM's hook leaves sets that only the anchor's
    // notes can prove its own.
    EXPECT_EQ(kernel_.calls(FakeSemKernel::Op::ListSets), list_calls + 1);
    ASSERT_EQ(anchor_noted_sets(std::vector<unsigned char>(
                                    static_cast<unsigned char*>(mem_.anchor),
                                    static_cast<unsigned char*>(mem_.anchor) + sizeof(AnchorBlock)))
                  .size(),
              1u);
    const int cache = httpd_creates(kPreflightPid);
    const int map = httpd_creates(kPreflightPid);
    end_pass(in, mem_, kernel_, probe_, log_, kWindow1, kWindow2);

    r = state();
    EXPECT_EQ(r.phase, RunPhase::Running);
    ASSERT_EQ(r.sets.size(), 3u);
    ASSERT_NE(find_set(r, accept), nullptr);
    // Without the middle listing prefork, mod_ssl and mod_rewrite share one
    // window of three sets: none can be named in the preflight (the real pass
    // names them, and the session cache is named when it survives the reload).
    EXPECT_EQ(find_set(r, accept)->type, "");
    ASSERT_NE(find_set(r, cache), nullptr);
    EXPECT_EQ(find_set(r, cache)->type, "");
    ASSERT_NE(find_set(r, map), nullptr);
    EXPECT_EQ(find_set(r, map)->type, "");
    for (const auto& s : r.sets) {
        EXPECT_EQ(s.creator_pid, kPreflightPid);
        EXPECT_EQ(s.generation, 0);
        EXPECT_FALSE(s.is_protected);
        auto live = kernel_.stat_set(s.identity.semid);
        ASSERT_TRUE(live.ok());
        EXPECT_TRUE(same_set(s.identity, live.value()));
    }
    // The preflight says nothing at notice level: the real pass will.
    EXPECT_EQ(log_.count(tag::kSummary), 0u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kNoSysv), 0u);
    EXPECT_EQ(log_.count(tag::kLowHeadroom), 0u);
}

TEST_F(LifecycleTest, FirstRealPassAfterDetachNamesEveryType) {
    PassSets pre;
    ASSERT_EQ(pass(PassKind::Preflight, 0, kPreflightPid, pre), PassVerdict::Proceed);
    const int anchor = state().run.anchor_shmid;
    clear_pconf(mem_, pre);
    detach();

    const PassInput in = input(PassKind::FirstReal, 1);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    EXPECT_EQ(mem_.need.arrays, 2);
    Record r = state();
    EXPECT_EQ(r.phase, RunPhase::Starting);
    EXPECT_EQ(r.generation, 1);
    EXPECT_EQ(r.run.parent_pid, kParentPid);
    EXPECT_EQ(r.run.parent_start_ticks, kParentTicks);
    EXPECT_EQ(r.run.anchor_shmid, anchor) << "one anchor for the whole run";
    // The session cache survived the reload: process pool, so it is the ssl-cache.
    ASSERT_EQ(r.sets.size(), 1u);
    EXPECT_EQ(r.sets[0].identity.semid, pre.cache);
    EXPECT_EQ(r.sets[0].type, "ssl-cache");
    EXPECT_EQ(r.sets[0].creator_pid, kPreflightPid);
    EXPECT_EQ(r.sets[0].generation, 0);

    ASSERT_EQ(log_.count(tag::kSummary), 1u) << log_.dump();
    const std::string summary = log_.text_of(tag::kSummary);
    EXPECT_TRUE(contains(summary,
                         "sysvsem (mpm-accept, rewrite-map, ssl-cache, ssl-stapling, "
                         "ssl-stapling-refresh)"))
        << summary;
    // Before this pass creates anything: only the session cache exists.
    EXPECT_TRUE(contains(summary, "SysV arrays 1/32000 in use")) << summary;
    EXPECT_TRUE(contains(summary, "needs 2 arrays and 2 semaphores")) << summary;
    EXPECT_EQ(log_.first(tag::kSummary).level, Level::Notice);

    clock_->advance(1);
    const int accept = httpd_creates(kParentPid);
    mark_after_mpm(mem_, kernel_, in.kind);
    const int map = httpd_creates(kParentPid);
    end_pass(in, mem_, kernel_, probe_, log_, kWindow1, kWindow2);

    r = state();
    EXPECT_EQ(r.phase, RunPhase::Running);
    EXPECT_EQ(types_of(r), (std::vector<std::string>{"mpm-accept", "rewrite-map", "ssl-cache"}));
    EXPECT_EQ(find_set(r, accept)->type, "mpm-accept");
    EXPECT_EQ(find_set(r, accept)->creator_pid, kParentPid);
    EXPECT_EQ(find_set(r, accept)->generation, 1);
    EXPECT_EQ(find_set(r, map)->type, "rewrite-map");
    EXPECT_EQ(find_set(r, pre.cache)->type, "ssl-cache");
    EXPECT_EQ(mem_.last_created, 2);
    const AnchorBlock* b = anchor_block(mem_.anchor);
    ASSERT_NE(b, nullptr);
    EXPECT_EQ(b->live_generation.load(), 1);
    EXPECT_EQ(b->retiring.load(), 0u);
}

TEST_F(LifecycleTest, RestartsAndParentExit) {
    PassSets s1 = start_server();
    fork_children(s1);
    const int anchor = state().run.anchor_shmid;

    // Graceful restart: pconf cleared, the next generation's pass.
    clear_pconf(mem_, s1);
    EXPECT_EQ(anchor_block(mem_.anchor)->retiring.load(), 1u);
    log_.clear();
    PassSets s2;
    const PassInput in2 = input(PassKind::Restart, 2);
    ASSERT_EQ(begin_pass(in2, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    EXPECT_EQ(mem_.need.arrays, 2) << "the last real pass made exactly 2";
    EXPECT_TRUE(mem_.need.exact);
    Record r = state();
    EXPECT_EQ(r.phase, RunPhase::Starting);
    EXPECT_EQ(r.generation, 2);
    ASSERT_EQ(r.sets.size(), 1u);
    EXPECT_EQ(r.sets[0].type, "ssl-cache");
    clock_->advance(1);
    s2.accept = httpd_creates(kParentPid);
    mark_after_mpm(mem_, kernel_, in2.kind);
    s2.map = httpd_creates(kParentPid);
    end_pass(in2, mem_, kernel_, probe_, log_, kWindow1, kWindow2);
    s2.cache = s1.cache;

    r = state();
    EXPECT_EQ(r.phase, RunPhase::Running);
    EXPECT_EQ(r.generation, 2);
    EXPECT_EQ(types_of(r), (std::vector<std::string>{"mpm-accept", "rewrite-map", "ssl-cache"}));
    EXPECT_EQ(find_set(r, s2.accept)->generation, 2);
    EXPECT_EQ(find_set(r, s2.map)->type, "rewrite-map");
    EXPECT_EQ(find_set(r, s1.accept), nullptr);
    EXPECT_EQ(log_.count(tag::kSummary), 1u) << log_.dump();
    EXPECT_EQ(anchor_block(mem_.anchor)->live_generation.load(), 2);
    EXPECT_EQ(anchor_block(mem_.anchor)->retiring.load(), 0u);

    // A second restart changes nothing in the shape.
    clear_pconf(mem_, s2);
    PassSets s3;
    ASSERT_EQ(pass(PassKind::Restart, 3, kParentPid, s3), PassVerdict::Proceed);
    r = state();
    EXPECT_EQ(r.generation, 3);
    EXPECT_EQ(r.sets.size(), 3u);
    EXPECT_EQ(log_.count(tag::kSummary), 2u);

    // apachectl stop: the parent exits.
    log_.clear();
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    r = state();
    EXPECT_EQ(r.phase, RunPhase::Stopped);
    EXPECT_EQ(r.generation, 3);
    EXPECT_TRUE(r.removed_outside.empty());
    EXPECT_TRUE(log_.empty()) << log_.dump();
    auto a = probe_.stat_anchor(anchor);
    ASSERT_TRUE(a.ok());
    ASSERT_TRUE(a->has_value()) << "still attached by the parent and its children";
    EXPECT_TRUE(a->value().marked_for_removal);
    // Once the last process detaches the anchor goes away with nothing left.
    probe_.remove_process(kChildA);
    probe_.remove_process(kChildB);
    probe_.remove_process(kParentPid);
    a = probe_.stat_anchor(anchor);
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(a->has_value());
}

TEST_F(LifecycleTest, ParentExitInAnotherProcessDoesNothing) {
    start_server();
    const Record before = state();
    probe_.set_self(kChildA, kParentTicks + 5);  // a child running pconf cleanups
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    const Record after = state();
    EXPECT_EQ(after.phase, RunPhase::Running);
    EXPECT_EQ(after.written_at, before.written_at);
}

TEST_F(LifecycleTest, NextStartAfterACleanStopHasNothingToDo) {
    PassSets s = start_server();
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    clear_pconf(mem_, s);
    ASSERT_TRUE(kernel_.remove_set(s.cache).ok());  // process pool destroyed
    probe_.remove_process(kParentPid);

    log_.clear();
    probe_.set_self(200, 2000);
    RunMemory next;
    PassSets n;
    ASSERT_EQ(pass(next, PassKind::Preflight, 0, 200, n, log_), PassVerdict::Proceed);
    EXPECT_TRUE(next.startup.reclaimed.empty());
    EXPECT_TRUE(next.startup.kept.empty());
    EXPECT_EQ(next.startup.post_mortem, "");
    EXPECT_TRUE(contains(next.startup.summary, "is over")) << next.startup.summary;
    EXPECT_TRUE(parked().empty());
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kPostMortem), 0u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kRunAlive), 0u) << log_.dump();
}

// ---- headroom at startup --------------------------------------------------------

TEST_F(LifecycleTest, SummaryOnlyInRealPasses) {
    PassSets pre;
    pass(PassKind::Preflight, 0, kPreflightPid, pre);
    EXPECT_EQ(log_.count(tag::kSummary), 0u) << log_.dump();
    clear_pconf(mem_, pre);
    detach();
    PassSets real;
    pass(PassKind::FirstReal, 1, kParentPid, real);
    EXPECT_EQ(log_.count(tag::kSummary), 1u) << log_.dump();
}

TEST_F(LifecycleTest, NoSysvSaysSoInRealPasses) {
    mutexes_ = {{"default", "pthread", "pthread", ""},
                {"mpm-accept", "using_defaults", "pthread", ""}};
    const PassInput pre = input(PassKind::Preflight, 0);
    begin_pass(pre, mem_, kernel_, probe_, log_);
    end_pass(pre, mem_, kernel_, probe_, log_, kWindow1, kWindow2);
    EXPECT_EQ(log_.count(tag::kNoSysv), 0u) << log_.dump();
    detach();
    const PassInput real = input(PassKind::FirstReal, 1);
    begin_pass(real, mem_, kernel_, probe_, log_);
    end_pass(real, mem_, kernel_, probe_, log_, kWindow1, kWindow2);
    EXPECT_EQ(log_.count(tag::kNoSysv), 1u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kSummary), 0u) << log_.dump();
    EXPECT_TRUE(state().sets.empty());
}

TEST_F(LifecycleTest, LowHeadroomWarnsInTheRealPassOnly) {
    kernel_.set_limits(250, 32000, 32, 10);
    for (int i = 0; i < 5; ++i)
        ASSERT_TRUE(kernel_.create_set(100 + i, 1, 0600, 1000, 1000, 1000, 1000, 4000).ok());
    PassSets pre;
    pass(PassKind::Preflight, 0, kPreflightPid, pre);  // 5 + 3 = 80%
    EXPECT_EQ(mem_.headroom.state, HeadroomState::Warn);
    EXPECT_EQ(log_.count(tag::kLowHeadroom), 0u) << log_.dump();
    clear_pconf(mem_, pre);
    detach();
    PassSets real;
    pass(PassKind::FirstReal, 1, kParentPid, real);  // 6 + 2 = 80%
    ASSERT_EQ(log_.count(tag::kLowHeadroom), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kLowHeadroom).level, Level::Warn);
    EXPECT_TRUE(log_.has(tag::kLowHeadroom, "sysctl -w kernel.sem=\"250 32000 32 128\""))
        << log_.dump();
    EXPECT_TRUE(log_.has(tag::kSummary, "SysV arrays 6/10 in use")) << log_.dump();
}

TEST_F(LifecycleTest, ExhaustedLimitsWithRefuseStartRefuse) {
    settings_.refuse_start = true;
    kernel_.set_limits(250, 32000, 32, 4);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(kernel_.create_set(100 + i, 1, 0600, 1000, 1000, 1000, 1000, 4000).ok());
    PassSets pre;
    EXPECT_EQ(pass(PassKind::Preflight, 0, kPreflightPid, pre), PassVerdict::Refuse);
    EXPECT_EQ(pre.accept, -1) << "no mutex was created";
    EXPECT_EQ(mem_.headroom.state, HeadroomState::Critical);
    const auto lines = log_.with_tag(tag::kExhausted);
    ASSERT_EQ(lines.size(), 3u) << log_.dump();
    for (const auto& l : lines) EXPECT_EQ(l.level, Level::Emerg);
    EXPECT_TRUE(contains(lines[1].text, "limit 4, in use 3, free 1, needed 3")) << lines[1].text;
    EXPECT_TRUE(contains(lines[2].text, "hint: this is not about disk space")) << lines[2].text;
    ASSERT_EQ(log_.count(tag::kRefuseStart), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kRefuseStart).level, Level::Emerg);
    EXPECT_TRUE(log_.has(tag::kRefuseStart, "AH00015")) << log_.dump();
    // SG0112 comes after the three SG0111 lines.
    EXPECT_EQ(log_.lines().back().tag, tag::kRefuseStart);
    EXPECT_EQ(kernel_.usage()->arrays, 3);

    // httpd exits (destroy_and_exit_process): the glue's parent_exit leaves no anchor.
    const int anchor_id = mem_.record.run.anchor_shmid;
    ASSERT_GE(anchor_id, 0);
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    probe_.remove_process(kPreflightPid);
    auto a = probe_.stat_anchor(anchor_id);
    ASSERT_TRUE(a.ok());
    EXPECT_FALSE(a->has_value()) << "a refused start must not leak its anchor segment";
}

TEST_F(LifecycleTest, ExhaustedLimitsWithoutRefuseStartProceed) {
    kernel_.set_limits(250, 32000, 32, 4);
    for (int i = 0; i < 3; ++i)
        ASSERT_TRUE(kernel_.create_set(100 + i, 1, 0600, 1000, 1000, 1000, 1000, 4000).ok());
    EXPECT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_EQ(log_.count(tag::kExhausted), 3u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kRefuseStart), 0u);
    EXPECT_EQ(state().phase, RunPhase::Starting);
}

TEST_F(LifecycleTest, ExhaustionCountsSetsThisServerLeftBehind) {
    // A previous run whose children are still alive keeps its 3 sets.
    PassSets s = start_server();
    fork_children(s);
    probe_.remove_process(kParentPid);  // SIGKILL of the parent only
    kernel_.set_limits(250, 32000, 32, 5);
    settings_.refuse_start = true;
    probe_.set_self(200, 2000);
    RunMemory next;
    PassSets n;
    EXPECT_EQ(pass(next, PassKind::Preflight, 0, 200, n, log_), PassVerdict::Refuse);
    EXPECT_TRUE(log_.has(tag::kExhausted,
                         "limit 5, in use 3, free 2, needed 3; 3 of those in use "
                         "are held by sets this server left behind"))
        << log_.dump();
}

TEST_F(LifecycleTest, RestartNeedIsWhatTheLastRealPassMade) {
    // An unknown sysvsem type is projected as one set it never makes here.
    mutexes_.push_back(sysv("mod-foo-lock"));
    PassSets s = start_server();
    ASSERT_FALSE(mem_.need.exact);
    EXPECT_EQ(mem_.need.arrays, 3) << "first real pass: projected, unknown counted as one";
    clear_pconf(mem_, s);
    log_.clear();
    PassSets s2;
    pass(PassKind::Restart, 2, kParentPid, s2);
    EXPECT_EQ(mem_.need.arrays, 2);
    EXPECT_EQ(mem_.need.semaphores, 2);
    EXPECT_TRUE(mem_.need.exact);
    EXPECT_TRUE(log_.has(tag::kSummary, "needs 2 arrays and 2 semaphores")) << log_.dump();
}

TEST_F(LifecycleTest, RestartWithAChangedConfigurationIsProjectedAgain) {
    PassSets s = start_server();
    clear_pconf(mem_, s);
    facts_.rewrite_prg_map = false;  // the RewriteMap prg: line was removed
    facts_.accept_buckets = 3;       // and ListenCoresBucketsRatio added
    const PassInput in = input(PassKind::Restart, 2);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    EXPECT_EQ(mem_.need.arrays, 3);
}

TEST_F(LifecycleTest, RefusedRestartDoesNotLookLikeARemovalFromOutside) {
    PassSets s = start_server();
    fork_children(s);
    clear_pconf(mem_, s);  // graceful restart: the old generation's sets go
    settings_.refuse_start = true;
    kernel_.set_limits(250, 32000, 32, 2);
    for (int i = 0; i < 1; ++i)
        ASSERT_TRUE(kernel_.create_set(500 + i, 1, 0600, 1000, 1000, 1000, 1000, 4000).ok());
    log_.clear();
    PassSets s2;
    EXPECT_EQ(pass(PassKind::Restart, 2, kParentPid, s2), PassVerdict::Refuse);
    EXPECT_EQ(log_.count(tag::kRefuseStart), 1u) << log_.dump();
    // httpd gives up and the parent exits.
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    EXPECT_EQ(log_.count(tag::kSetRemoved), 0u) << log_.dump();
    const Record r = state();
    EXPECT_EQ(r.phase, RunPhase::Stopped);
    EXPECT_TRUE(r.removed_outside.empty());
}

}  // namespace
}  // namespace semguard
