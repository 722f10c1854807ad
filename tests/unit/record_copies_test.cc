// The record's two copies (issue #10): the state file and the copy kept in the
// run's anchor segment in the IPC namespace. Either one damaged, the other
// still reclaims the crashed run, with a clear warning; both damaged, nothing
// is removed. And the write-ahead of the hook-span markers: a parent killed
// during a startup pass leaves unproven only the sets of the span it died in.
#include "lifecycle_fixture.h"

#include <cstdio>
#include <cstring>

namespace semguard {
namespace {

using namespace semguard::test;  // NOLINT: the fixture's steps and constants

class RecordCopiesTest : public LifecycleTest {
protected:
    // Started, serving with two children, then kill -9 of all of them.
    PassSets crash() {
        PassSets s = start_server();
        fork_children(s);
        anchor_ = mem_.anchor;
        for (pid_t p : {kParentPid, kChildA, kChildB}) probe_.remove_process(p);
        return s;
    }
    void damage_state_file() {
        FILE* f = std::fopen(settings_.state_file.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("semguard-state 1\nrun.parent_pid 1\nend 0000000000000000\n", f);
        std::fclose(f);
        ::chmod(settings_.state_file.c_str(), 0600);
    }
    // Root writing over both record slots of the (dead run's) anchor.
    void damage_home_record() {
        ASSERT_NE(anchor_, nullptr);
        char* slots = static_cast<char*>(anchor_) + kAnchorRecordOffset;
        std::memset(slots, 'x', kAnchorBytes - kAnchorRecordOffset);
    }
    void next_start(RunMemory& next) {
        clock_->advance(30);
        probe_.set_self(200, 2000);
        log_.clear();
        PassSets n;
        ASSERT_EQ(pass(next, PassKind::Preflight, 0, 200, n, log_), PassVerdict::Proceed);
    }
    void* anchor_ = nullptr;
};

TEST_F(RecordCopiesTest, DamagedStateFileTheIpcNamespaceCopyReclaims) {
    const PassSets s = crash();
    damage_state_file();
    RunMemory next;
    next_start(next);
    for (int id : {s.accept, s.cache, s.map}) EXPECT_FALSE(exists(id)) << id;
    EXPECT_TRUE(log_.has(tag::kReclaimed,
                         "reclaimed 3 stale semaphore set(s) of the previous run "
                         "(parent pid 101)"))
        << log_.dump();
    EXPECT_EQ(log_.count(tag::kStateRejected), 1u) << log_.dump();
    ASSERT_EQ(log_.count(tag::kHomeInsteadOfFile), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kHomeInsteadOfFile).level, Level::Warn);
    EXPECT_TRUE(log_.has(tag::kHomeInsteadOfFile, "is used instead")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "ended without a clean shutdown")) << log_.dump();
    EXPECT_EQ(next.startup.reclaimed.size(), 3u);
}

TEST_F(RecordCopiesTest, UntrustedStateFileTheIpcNamespaceCopyReclaims) {
    const PassSets s = crash();
    ::chmod(settings_.state_file.c_str(), 0666);  // anyone could have written it
    RunMemory next;
    next_start(next);
    for (int id : {s.accept, s.cache, s.map}) EXPECT_FALSE(exists(id)) << id;
    EXPECT_EQ(log_.count(tag::kStateRejected), 1u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kHomeInsteadOfFile), 1u) << log_.dump();
}

TEST_F(RecordCopiesTest, DamagedIpcNamespaceCopyTheStateFileReclaims) {
    const PassSets s = crash();
    damage_home_record();
    RunMemory next;
    next_start(next);
    for (int id : {s.accept, s.cache, s.map}) EXPECT_FALSE(exists(id)) << id;
    EXPECT_TRUE(log_.has(tag::kReclaimed, "reclaimed 3 stale semaphore set(s)")) << log_.dump();
    EXPECT_EQ(log_.count(tag::kHomeInsteadOfFile), 0u) << log_.dump();
}

TEST_F(RecordCopiesTest, BothDamagedNothingIsRemoved) {
    const PassSets s = crash();
    const int old_anchor = state().run.anchor_shmid;
    damage_state_file();
    damage_home_record();
    RunMemory next;
    next_start(next);
    for (int id : {s.accept, s.cache, s.map}) EXPECT_TRUE(exists(id)) << id;
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kStateRejected), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kHomeUnreadable, "is damaged")) << log_.dump();
    auto a = probe_.stat_anchor(old_anchor);
    ASSERT_TRUE(a.ok());
    EXPECT_TRUE(a->has_value()) << "the anchor holding the damaged record was removed";
}

TEST_F(RecordCopiesTest, LiveRunFromTheIpcNamespaceCopyIsKept) {
    // Damaged file, parent killed, children alive: the copy names the run,
    // its attachments say it lives, nothing goes.
    PassSets s = start_server();
    fork_children(s);
    probe_.remove_process(kParentPid);
    damage_state_file();
    RunMemory next;
    next_start(next);
    for (int id : {s.accept, s.cache, s.map}) EXPECT_TRUE(exists(id)) << id;
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kRunAlive, "still alive")) << log_.dump();
}

// ---- write-ahead at the hook-span markers -------------------------------------

TEST_F(RecordCopiesTest, KilledMidStartupLeavesUnprovenOnlyTheLastSpansSets) {
    PassSets pre;
    ASSERT_EQ(pass(PassKind::Preflight, 0, kPreflightPid, pre), PassVerdict::Proceed);
    clear_pconf(mem_, pre);
    detach();
    const PassInput in = input(PassKind::FirstReal, 1);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    clock_->advance(1);
    const int accept = httpd_creates(kParentPid);  // the MPM
    mark_after_mpm(mem_, kernel_, PassKind::FirstReal);
    const int middle = httpd_creates(kParentPid);  // a MIDDLE post_config hook
    mark_span(mem_, kernel_);                      // between MIDDLE and LAST
    const int late = httpd_creates(kParentPid);    // a REALLY_LAST hook, then kill -9
    probe_.remove_process(kParentPid);

    RunMemory next;
    next_start(next);
    EXPECT_FALSE(exists(pre.cache));  // recorded
    EXPECT_FALSE(exists(accept));     // noted after the MPM's hook
    EXPECT_FALSE(exists(middle)) << "noted by the span marker: " << log_.dump();
    EXPECT_TRUE(exists(late)) << "only a pid ties it to the dead run";
    ASSERT_EQ(log_.count(tag::kUnprovenSets), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kUnprovenSets, "1 set(s)")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kUnprovenSets, "ipcs -s -i " + std::to_string(late))) << log_.dump();
}

}  // namespace
}  // namespace semguard
