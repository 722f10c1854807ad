// apache2 -X (one-process mode): both passes in one process, no detach, no
// children, and the process itself drops to User before serving. Its clean
// exit must not read as a crash at the next start, and with SemGuardProtect On
// it must not leave its sets behind; a -X run killed with sets left is still a
// crash, reclaimed as one (issue #10).
#include "lifecycle_fixture.h"

#include "run/run_guard.h"

namespace semguard {
namespace {

using namespace semguard::test;  // NOLINT: the fixture's steps and constants

class OneProcessTest : public LifecycleTest {
protected:
    void SetUp() override {
        LifecycleTest::SetUp();
        settings_.protect = true;
    }
    // One pass of apache2 -X in process kPreflightPid (it never detaches).
    void x_pass(PassKind kind, long generation, PassSets& made) {
        PassInput in = input(kind, generation);
        in.one_process = true;
        ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
        clock_->advance(1);
        made.accept = httpd_creates(kPreflightPid);
        mark_after_mpm(mem_, kernel_, kind);
        if (kind == PassKind::Preflight) made.cache = httpd_creates(kPreflightPid);
        made.map = httpd_creates(kPreflightPid);
        end_pass(in, mem_, kernel_, probe_, log_, kWindow1, kWindow2);
        clock_->advance(1);
    }
    // apache2 -X up to serving: the sets of its real pass, the session cache
    // of the preflight; the process now runs as User.
    PassSets start_x() {
        PassSets pre, real;
        x_pass(PassKind::Preflight, 0, pre);
        clear_pconf(mem_, pre);
        x_pass(PassKind::FirstReal, 1, real);
        real.cache = pre.cache;
        probe_.set_effective_uid(kWww);  // ap_run_drop_privileges in child_main
        return real;
    }
    // The next start, by root, in a new process.
    void next_start(RunMemory& next) {
        probe_.set_effective_uid(0);
        probe_.set_self(200, 2000);
        probe_.add_process(200, 2000);
        clock_->advance(30);
        log_.clear();
        PassSets n;
        ASSERT_EQ(pass(next, PassKind::Preflight, 0, 200, n, log_), PassVerdict::Proceed);
    }
};

TEST_F(OneProcessTest, ProtectIsNotAppliedAndSaidOnce) {
    const PassSets s = start_x();
    for (int id : {s.accept, s.cache, s.map}) {
        auto now = kernel_.stat_set(id);
        ASSERT_TRUE(now.ok());
        EXPECT_EQ(now->uid, kWww) << "set " << id << " re-owned: User could not remove it at exit";
    }
    EXPECT_EQ(log_.count(tag::kOneProcessUnprotected), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kOneProcessUnprotected).level, Level::Notice);
    EXPECT_EQ(log_.count(tag::kProtectFailed), 0u) << log_.dump();
}

TEST_F(OneProcessTest, ProtectStillAppliesWithChildren) {
    // The same configuration without -X: the sets go to root, as before.
    PassSets s = start_server();
    auto now = kernel_.stat_set(s.accept);
    ASSERT_TRUE(now.ok());
    EXPECT_EQ(now->uid, 0u);
    EXPECT_EQ(log_.count(tag::kOneProcessUnprotected), 0u) << log_.dump();
}

TEST_F(OneProcessTest, CleanExitGivesNoPostMortemAndLeavesNothing) {
    const PassSets s = start_x();
    const Record before_exit = state();
    // SIGTERM: the pools' pre-cleanup runs as User, then httpd's own
    // cleanups remove the (User's) sets, then the process exits.
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    for (int id : {s.accept, s.map, s.cache}) ASSERT_TRUE(kernel_.remove_set(id).ok());
    EXPECT_EQ(sweep_at_stop(mem_, kernel_, log_, clock_->now()), 0);
    probe_.remove_process(kPreflightPid);
    // As User it could not write root's record: the file still says running.
    EXPECT_EQ(state().phase, RunPhase::Running);

    RunMemory next;
    next_start(next);
    EXPECT_EQ(log_.count(tag::kPostMortem), 0u) << log_.dump();
    EXPECT_FALSE(contains(log_.dump(), "without a clean shutdown")) << log_.dump();
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u) << log_.dump();
    EXPECT_TRUE(next.startup.post_mortem.empty()) << next.startup.post_mortem;
    // The run is over by attachments: its anchor goes now.
    auto old_anchor = probe_.stat_anchor(before_exit.run.anchor_shmid);
    ASSERT_TRUE(old_anchor.ok());
    EXPECT_FALSE(old_anchor->has_value());
}

TEST_F(OneProcessTest, KilledWithSetsLeftIsStillACrash) {
    const PassSets s = start_x();
    probe_.remove_process(kPreflightPid);  // kill -9: no cleanup at all
    RunMemory next;
    next_start(next);
    for (int id : {s.accept, s.map, s.cache}) EXPECT_FALSE(exists(id)) << id;
    EXPECT_TRUE(log_.has(tag::kReclaimed, "reclaimed 3 stale semaphore set(s)")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "ended without a clean shutdown")) << log_.dump();
}

TEST_F(OneProcessTest, CleanExitNoteDoesNotOutliveALiveProcess) {
    // The note changes the words only: while the -X process is still attached
    // (stopping, or a stray copy), nothing of it is removed.
    const PassSets s = start_x();
    parent_exit(mem_, kernel_, probe_, log_, clock_->now());
    RunMemory next;
    probe_.set_effective_uid(0);
    probe_.set_self(200, 2000);
    probe_.add_process(200, 2000);
    log_.clear();
    PassSets n;
    ASSERT_EQ(pass(next, PassKind::Preflight, 0, 200, n, log_), PassVerdict::Proceed);
    for (int id : {s.accept, s.map, s.cache}) EXPECT_TRUE(exists(id)) << id;
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u) << log_.dump();
}

}  // namespace
}  // namespace semguard
