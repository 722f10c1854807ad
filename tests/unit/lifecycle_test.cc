// The engine driven exactly as httpd drives it for the reference configuration
// (prefork, two listeners, `Mutex sysvsem default`, shmcb session cache, a prg
// RewriteMap): preflight in pid 100, detach, first real pass in pid 101,
// graceful restarts, children, and the parent's exit; with crashes in between.
#include "run/lifecycle.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "run/anchor_block.h"
#include "capture_logger.h"
#include "fake_kernel.h"
#include "log/messages.h"
#include "record/parked_records.h"
#include "record/state_file.h"

namespace semguard {
namespace {

namespace fs = std::filesystem;

constexpr pid_t kPreflightPid = 100;
constexpr uint64_t kPreflightTicks = 1000;
constexpr pid_t kParentPid = 101;  // after apr_proc_detach
constexpr uint64_t kParentTicks = 1001;
constexpr pid_t kChildA = 102;
constexpr pid_t kChildB = 103;
constexpr uid_t kWww = 33;
constexpr gid_t kWwwGroup = 33;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

InstanceIdentity instance() {
    return {"/etc/apache2", "/etc/apache2/apache2.conf", "/run/apache2/apache2.pid"};
}

MutexConfig sysv(const std::string& type) { return {type, "using_defaults", "sysvsem", ""}; }

std::vector<MutexConfig> reference_mutexes() {
    return {{"default", "sysvsem", "sysvsem", ""}, sysv("mpm-accept"),  sysv("rewrite-map"),
            sysv("ssl-cache"),                     sysv("ssl-stapling"), sysv("ssl-stapling-refresh")};
}

ConfigFacts reference_facts() {
    ConfigFacts f;
    f.mpm = "prefork";
    f.listeners = 2;
    f.ssl_session_cache = "shmcb";
    f.rewrite_prg_map = true;
    f.modules = {"core.c", "prefork.c", "mod_ssl.c", "mod_rewrite.c", "mod_socache_shmcb.c"};
    return f;
}

// The hooks that ran in the two windows, as the glue reports them.
const std::vector<WindowHook> kWindow1{{"prefork.c", CreatedIn::OpenLogs}};
const std::vector<WindowHook> kWindow2{{"mod_rewrite.c", CreatedIn::PostConfig},
                                       {"mod_ssl.c", CreatedIn::PostConfig}};

// The sets one pass created.
struct PassSets {
    int accept = -1;
    int cache = -1;  // preflight only: the session cache lives in the process pool
    int map = -1;
};

const RecordedSet* find_set(const Record& r, int semid) {
    for (const auto& s : r.sets)
        if (s.identity.semid == semid) return &s;
    return nullptr;
}

std::vector<std::string> types_of(const Record& r) {
    std::vector<std::string> out;
    for (const auto& s : r.sets) out.push_back(s.type);
    std::sort(out.begin(), out.end());
    return out;
}

class LifecycleTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string templ = (fs::temp_directory_path() / "semguard-lifecycle-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = templ;
        settings_.state_file = dir_ + "/semguard.0123456789abcdef.state";
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    PassInput input(PassKind kind, long generation) {
        PassInput in;
        in.kind = kind;
        in.generation = generation;
        in.now = clock_->now();
        in.instance = instance();
        in.settings = settings_;
        in.mutexes = mutexes_;
        in.facts = facts_;
        in.alternatives = {"pthread", "fcntl"};
        in.max_processes = 151;
        in.user_uid = kWww;
        in.group_gid = kWwwGroup;
        in.user_known = true;
        return in;
    }

    // One sysvsem mutex as APR and httpd make it: semget, SETVAL 1, IPC_SET to User.
    int httpd_creates(pid_t pid) {
        auto id = kernel_.create_set(0, 1, 0600, 0, 0, 0, 0, pid);
        EXPECT_TRUE(id.ok());
        EXPECT_TRUE(kernel_.set_value(*id, 0, 1, pid).ok());
        EXPECT_TRUE(kernel_.set_owner(*id, kWww, kWwwGroup, 0600).ok());
        return *id;
    }

    // One configuration pass of httpd in process `pid`, with `mem` as that
    // process's RunMemory. Returns the verdict of begin_pass.
    PassVerdict pass(RunMemory& mem, PassKind kind, long generation, pid_t pid, PassSets& made,
                     Logger& log) {
        const PassInput in = input(kind, generation);
        const PassVerdict v = begin_pass(in, mem, kernel_, probe_, log);
        if (v == PassVerdict::Refuse) return v;
        clock_->advance(1);
        made.accept = httpd_creates(pid);  // prefork's open_logs
        mark_after_mpm(mem, kernel_, kind);
        if (kind == PassKind::Preflight) made.cache = httpd_creates(pid);  // mod_ssl
        made.map = httpd_creates(pid);                                      // mod_rewrite
        end_pass(in, mem, kernel_, probe_, log, kWindow1, kWindow2);
        clock_->advance(1);
        return v;
    }
    PassVerdict pass(PassKind kind, long generation, pid_t pid, PassSets& made) {
        return pass(mem_, kind, generation, pid, made, log_);
    }

    // httpd clears pconf: the generation's config-lifetime sets go.
    void clear_pconf(RunMemory& mem, const PassSets& made) {
        retire_generation(mem, kernel_, log_, clock_->now());
        if (made.accept >= 0) {
            ASSERT_TRUE(kernel_.remove_set(made.accept).ok());
        }
        if (made.map >= 0) {
            ASSERT_TRUE(kernel_.remove_set(made.map).ok());
        }
    }

    // apr_proc_detach: the preflight process forks the real parent and exits.
    void detach(pid_t from = kPreflightPid, pid_t to = kParentPid, uint64_t ticks = kParentTicks) {
        probe_.fork_process(from, to, ticks);
        probe_.remove_process(from);
        probe_.set_self(to, ticks);
    }

    // apachectl start up to a serving parent (pid 101), the sets of the first real pass.
    PassSets start_server() {
        PassSets pre, real;
        EXPECT_EQ(pass(PassKind::Preflight, 0, kPreflightPid, pre), PassVerdict::Proceed);
        clear_pconf(mem_, pre);
        detach();
        EXPECT_EQ(pass(PassKind::FirstReal, 1, kParentPid, real), PassVerdict::Proceed);
        real.cache = pre.cache;
        return real;
    }

    // The parent forks two children, which use every set.
    void fork_children(const PassSets& s) {
        probe_.fork_process(kParentPid, kChildA, kParentTicks + 5);
        probe_.fork_process(kParentPid, kChildB, kParentTicks + 6);
        for (int id : {s.accept, s.cache, s.map}) {
            ASSERT_TRUE(kernel_.semop(id, 0, -1, kChildA).ok());
            ASSERT_TRUE(kernel_.semop(id, 0, 1, kChildA).ok());
        }
    }

    Record state(const std::string& path = "") {
        const StateFileResult r = read_state_file(path.empty() ? settings_.state_file : path, 0);
        EXPECT_EQ(r.outcome, StateFileOutcome::Ok) << r.reason << r.error.describe();
        return r.record;
    }
    bool state_exists() { return fs::exists(settings_.state_file); }
    bool exists(int semid) { return kernel_.stat_set(semid).ok(); }
    std::vector<std::string> parked() { return list_parked(settings_.state_file); }

    std::string dir_;
    GuardSettings settings_;
    std::vector<MutexConfig> mutexes_ = reference_mutexes();
    ConfigFacts facts_ = reference_facts();
    std::shared_ptr<FakeClock> clock_ = std::make_shared<FakeClock>();
    FakeSemKernel kernel_{clock_};
    FakeRunProbe probe_{clock_, kPreflightPid, kPreflightTicks};
    CaptureLogger log_;
    RunMemory mem_;
};

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
    EXPECT_EQ(kernel_.calls(FakeSemKernel::Op::ListSets), list_calls)
        << "the preflight's sets go before the real pass: no listing after the MPM";
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
    EXPECT_TRUE(contains(summary, "sysvsem (mpm-accept, rewrite-map, ssl-cache, ssl-stapling, "
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
    for (int i = 0; i < 5; ++i) ASSERT_TRUE(kernel_.create_set(100 + i, 1, 0600, 1000, 1000, 1000, 1000, 4000).ok());
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
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(kernel_.create_set(100 + i, 1, 0600, 1000, 1000, 1000, 1000, 4000).ok());
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
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(kernel_.create_set(100 + i, 1, 0600, 1000, 1000, 1000, 1000, 4000).ok());
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
    EXPECT_TRUE(log_.has(tag::kExhausted, "limit 5, in use 3, free 2, needed 3; 3 of those in use "
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
    for (int i = 0; i < 1; ++i) ASSERT_TRUE(kernel_.create_set(500 + i, 1, 0600, 1000, 1000, 1000, 1000, 4000).ok());
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

// ---- crashes and reclaim ----------------------------------------------------------

TEST_F(LifecycleTest, CrashedRunIsReclaimedAtTheNextStart) {
    PassSets s = start_server();
    fork_children(s);
    const Record crashed = state();
    // kill -9 of the parent, the children follow (they notice the parent gone).
    probe_.remove_process(kParentPid);
    probe_.remove_process(kChildA);
    probe_.remove_process(kChildB);
    ASSERT_TRUE(exists(s.accept) && exists(s.cache) && exists(s.map));

    log_.clear();
    clock_->advance(30);
    probe_.set_self(200, 2000);
    RunMemory next;
    PassSets n;
    ASSERT_EQ(pass(next, PassKind::Preflight, 0, 200, n, log_), PassVerdict::Proceed);
    EXPECT_FALSE(exists(s.accept));
    EXPECT_FALSE(exists(s.cache));
    EXPECT_FALSE(exists(s.map));
    ASSERT_EQ(log_.count(tag::kReclaimed), 1u) << log_.dump();
    const std::string text = log_.text_of(tag::kReclaimed);
    EXPECT_TRUE(contains(text, "reclaimed 3 stale semaphore set(s) of the previous run (parent pid 101)"))
        << text;
    EXPECT_TRUE(contains(text, std::to_string(s.accept) + " (mpm-accept)")) << text;
    EXPECT_TRUE(contains(text, std::to_string(s.cache) + " (ssl-cache)")) << text;
    EXPECT_TRUE(contains(text, std::to_string(s.map) + " (rewrite-map)")) << text;
    EXPECT_TRUE(log_.has(tag::kPostMortem, "ended without a clean shutdown")) << log_.dump();
    EXPECT_EQ(next.startup.reclaimed.size(), 3u);
    EXPECT_EQ(next.reclaimed_total, 3u);
    for (const auto& v : next.startup.reclaimed) EXPECT_EQ(v.old_parent_pid, kParentPid);
    EXPECT_TRUE(contains(next.startup.post_mortem, "generation 1")) << next.startup.post_mortem;
    auto old_anchor = probe_.stat_anchor(crashed.run.anchor_shmid);
    ASSERT_TRUE(old_anchor.ok());
    EXPECT_FALSE(old_anchor->has_value()) << "the old run's anchor is reclaimed too";
    EXPECT_TRUE(parked().empty());
    // What was reclaimed is gone, not a look-alike.
    EXPECT_TRUE(next.lookalikes.empty());
    EXPECT_EQ(log_.count(tag::kLookalikes), 0u) << log_.dump();
    // The new run recorded its own sets, not the old ones.
    const Record r = state();
    EXPECT_EQ(r.run.parent_pid, 200);
    EXPECT_EQ(r.sets.size(), 3u);
    EXPECT_NE(r.run.anchor_shmid, crashed.run.anchor_shmid);
    EXPECT_EQ(find_set(r, s.accept), nullptr);
}

TEST_F(LifecycleTest, CrashInTheMiddleOfThePreflightIsReclaimed) {
    // The preflight died after creating the accept mutex, before end_pass.
    const PassInput in = input(PassKind::Preflight, 0);
    ASSERT_EQ(begin_pass(in, mem_, kernel_, probe_, log_), PassVerdict::Proceed);
    clock_->advance(1);
    const int accept = httpd_creates(kPreflightPid);
    mark_after_mpm(mem_, kernel_, in.kind);
    const int cache = httpd_creates(kPreflightPid);
    clock_->advance(1);
    probe_.remove_process(kPreflightPid);
    ASSERT_EQ(state().phase, RunPhase::Starting);

    clock_->advance(10);
    probe_.set_self(200, 2000);
    RunMemory next;
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), next, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_FALSE(exists(accept));
    EXPECT_FALSE(exists(cache));
    EXPECT_EQ(next.startup.reclaimed.size(), 2u);
}

TEST_F(LifecycleTest, RunWithLiveChildrenIsParkedAndReclaimedLater) {
    PassSets s = start_server();
    fork_children(s);
    const Record first = state();
    probe_.remove_process(kParentPid);  // only the parent was killed

    // Second start while run 1's children still serve: nothing of it is touched.
    log_.clear();
    clock_->advance(30);
    probe_.set_self(200, 2000);
    RunMemory second;
    PassSets pre2;
    ASSERT_EQ(pass(second, PassKind::Preflight, 0, 200, pre2, log_), PassVerdict::Proceed);
    EXPECT_TRUE(exists(s.accept) && exists(s.cache) && exists(s.map));
    EXPECT_EQ(log_.count(tag::kRunAlive), 1u) << log_.dump();
    EXPECT_EQ(log_.count(tag::kReclaimed), 0u) << log_.dump();
    EXPECT_EQ(second.startup.kept.size(), 3u);
    EXPECT_EQ(second.kept_total, 3u);
    const std::string parked_file = parked_path(settings_.state_file, first.run);
    EXPECT_EQ(parked_file, settings_.state_file + ".parked.101.1001");
    ASSERT_EQ(parked(), std::vector<std::string>{parked_file});
    const Record kept = state(parked_file);
    EXPECT_EQ(kept.run.parent_pid, kParentPid);
    EXPECT_EQ(kept.sets.size(), 3u);
    // The old sets are this server's, not look-alikes.
    EXPECT_TRUE(second.lookalikes.empty());
    EXPECT_EQ(log_.count(tag::kLookalikes), 0u) << log_.dump();

    // Run 2 serves and stops cleanly.
    clear_pconf(second, pre2);
    detach(200, 201, 2001);
    PassSets real2;
    ASSERT_EQ(pass(second, PassKind::FirstReal, 1, 201, real2, log_), PassVerdict::Proceed);
    parent_exit(second, kernel_, probe_, log_, clock_->now());
    clear_pconf(second, real2);
    ASSERT_TRUE(kernel_.remove_set(pre2.cache).ok());
    probe_.remove_process(201);

    // Run 1's children are gone at last.
    probe_.remove_process(kChildA);
    probe_.remove_process(kChildB);

    log_.clear();
    clock_->advance(30);
    probe_.set_self(300, 3000);
    RunMemory third;
    PassSets pre3;
    ASSERT_EQ(pass(third, PassKind::Preflight, 0, 300, pre3, log_), PassVerdict::Proceed);
    EXPECT_FALSE(exists(s.accept));
    EXPECT_FALSE(exists(s.cache));
    EXPECT_FALSE(exists(s.map));
    EXPECT_TRUE(log_.has(tag::kReclaimed, "(parent pid 101)")) << log_.dump();
    EXPECT_EQ(third.startup.reclaimed.size(), 3u);
    EXPECT_TRUE(parked().empty()) << "the parked record is done with";
    EXPECT_FALSE(fs::exists(parked_file));
    // The latest run stopped cleanly (no post-mortem for it); the parked run
    // crashed meanwhile, and this is the first start that can say so.
    ASSERT_EQ(log_.count(tag::kPostMortem), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "parent pid 101")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kPostMortem, "ended without a clean shutdown")) << log_.dump();
    EXPECT_TRUE(contains(third.startup.post_mortem, "parent pid 101")) << third.startup.post_mortem;
}

TEST_F(LifecycleTest, DryRunParksTheRecordForALaterStartWithOn) {
    PassSets s = start_server();
    probe_.remove_process(kParentPid);
    settings_.reclaim = ReclaimMode::DryRun;
    probe_.set_self(200, 2000);
    RunMemory second;
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), second, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_TRUE(exists(s.accept) && exists(s.cache) && exists(s.map));
    EXPECT_EQ(second.startup.would_reclaim.size(), 3u);
    EXPECT_EQ(second.startup.mode, "dryrun");
    EXPECT_EQ(log_.count(tag::kDryRun), 1u) << log_.dump();
    EXPECT_EQ(parked().size(), 1u);
    // Run 2 dies in its preflight too; with On the next start removes run 1's sets.
    probe_.remove_process(200);
    settings_.reclaim = ReclaimMode::On;
    probe_.set_self(300, 3000);
    RunMemory third;
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), third, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_FALSE(exists(s.accept));
    EXPECT_FALSE(exists(s.cache));
    EXPECT_FALSE(exists(s.map));
    EXPECT_TRUE(parked().empty());
}

// A start killed between creating its anchor and recording it leaves a
// segment no record names; the next start with SemGuardReclaim On removes it
// when it is this instance's, and nothing attached to it.
class OrphanAnchorTest : public LifecycleTest {
protected:
    // A process `pid` creates a 4096-byte segment and dies (or not).
    int segment(pid_t pid, const std::string& digest, bool block, bool dies,
                uint64_t bytes = 4096) {
        probe_.set_self(pid, 10000 + pid);
        auto a = probe_.create_anchor(bytes);
        EXPECT_TRUE(a.ok());
        if (block) anchor_init(a->address, 0, digest);
        if (dies) probe_.remove_process(pid);
        return a->info.shmid;
    }
    bool segment_exists(int shmid) {
        auto a = probe_.stat_anchor(shmid);
        return a.ok() && a->has_value();
    }
    void setup_world() {
        ours_ = segment(150, instance().digest(), true, true);
        other_instance_ = segment(151, "fedcba9876543210", true, true);
        attached_ = segment(152, instance().digest(), true, false);
        no_block_ = segment(153, "", false, true);
        other_size_ = segment(154, instance().digest(), true, true, 8192);
        probe_.set_self(200, 2000);
    }
    int ours_ = -1, other_instance_ = -1, attached_ = -1, no_block_ = -1, other_size_ = -1;
};

TEST_F(OrphanAnchorTest, OnlyOurUnattachedAnchorIsRemoved) {
    setup_world();
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_FALSE(segment_exists(ours_));
    EXPECT_TRUE(segment_exists(other_instance_));
    EXPECT_TRUE(segment_exists(attached_));
    EXPECT_TRUE(segment_exists(no_block_));
    EXPECT_TRUE(segment_exists(other_size_));
    EXPECT_TRUE(log_.has(tag::kOrphanAnchors, "removed 1 anchor segment(s)")) << log_.dump();
    // The new run's own anchor is there and named in the state file.
    EXPECT_TRUE(segment_exists(state().run.anchor_shmid));
}

TEST_F(OrphanAnchorTest, NothingIsRemovedUnlessReclaimIsOn) {
    for (ReclaimMode mode : {ReclaimMode::DryRun, ReclaimMode::Off}) {
        setup_world();
        settings_.reclaim = mode;
        RunMemory mem;
        begin_pass(input(PassKind::Preflight, 0), mem, kernel_, probe_, log_);
        EXPECT_TRUE(segment_exists(ours_)) << to_string(mode);
        EXPECT_FALSE(log_.has(tag::kReclaimed, "anchor segment")) << log_.dump();
    }
}

TEST_F(LifecycleTest, LookalikesAreListedNotTouched) {
    // Another httpd instance's set: no key, one semaphore, 0600, owned by User.
    auto other = kernel_.create_set(0, 1, 0600, kWww, kWwwGroup, 0, 0, 7000);
    ASSERT_TRUE(other.ok());
    PassSets pre;
    pass(PassKind::Preflight, 0, kPreflightPid, pre);
    EXPECT_EQ(mem_.lookalikes, std::vector<int>{*other});
    EXPECT_EQ(mem_.startup.lookalikes, std::vector<int>{*other});
    ASSERT_EQ(log_.count(tag::kLookalikes), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kLookalikes).level, Level::Info);
    EXPECT_TRUE(log_.has(tag::kLookalikes, "Ids: " + std::to_string(*other))) << log_.dump();
    EXPECT_TRUE(exists(*other));
    const Record r = state();
    EXPECT_EQ(find_set(r, *other), nullptr);
}

TEST_F(LifecycleTest, RecordedIdNowNamingAnotherSetIsALookalike) {
    // Another httpd's set, shaped like ours, carries an id our old record names
    // (ids recycle): it is not ours, so it is listed, and never removed.
    auto other = kernel_.create_set(0, 1, 0600, kWww, kWwwGroup, 0, 0, 7000);
    ASSERT_TRUE(other.ok());
    ASSERT_TRUE(kernel_.set_value(*other, 0, 1, 7000).ok());
    Record old;
    old.instance = instance();
    old.run.parent_pid = 90;
    old.run.parent_start_ticks = 900;
    old.run.boot_id = probe_.boot_id();
    old.run.anchor_shmid = -1;
    old.phase = RunPhase::Running;
    old.generation = 1;
    old.written_at = clock_->now() - 100;
    RecordedSet r;
    r.identity = kernel_.stat_set(*other).value();
    r.identity.ctime -= 50;  // ours was made earlier
    r.type = "mpm-accept";
    old.sets.push_back(r);
    ASSERT_TRUE(write_state_file(settings_.state_file, old).ok());
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_TRUE(exists(*other));
    EXPECT_EQ(mem_.lookalikes, std::vector<int>{*other});
    EXPECT_TRUE(log_.has(tag::kLookalikes, "Ids: " + std::to_string(*other))) << log_.dump();
}

TEST_F(LifecycleTest, UnreadableStateFileIsReportedAndRewritten) {
    {
        FILE* f = std::fopen(settings_.state_file.c_str(), "w");
        ASSERT_NE(f, nullptr);
        std::fputs("this is not a record\n", f);
        std::fclose(f);
        ::chmod(settings_.state_file.c_str(), 0600);
    }
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_EQ(log_.count(tag::kStateRejected), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kStateRejected, settings_.state_file)) << log_.dump();
    EXPECT_TRUE(contains(mem_.startup.summary, "state file is not trusted")) << mem_.startup.summary;
    EXPECT_EQ(state().phase, RunPhase::Starting);
}

TEST_F(LifecycleTest, UnwritableStateFileIsReported) {
    settings_.state_file = dir_ + "/missing-dir/semguard.state";
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_GE(log_.count(tag::kStateUnwritable), 1u) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kStateUnwritable, "a crash of this run could not be reclaimed"))
        << log_.dump();
}

TEST_F(LifecycleTest, NoAnchorIsReported) {
    probe_.fail_next(FakeRunProbe::Op::CreateAnchor, ENOSPC);
    ASSERT_EQ(begin_pass(input(PassKind::Preflight, 0), mem_, kernel_, probe_, log_),
              PassVerdict::Proceed);
    EXPECT_EQ(log_.count(tag::kNoAnchor), 1u) << log_.dump();
    EXPECT_EQ(state().run.anchor_shmid, -1);
    EXPECT_EQ(mem_.anchor, nullptr);
}

// ---- the children's guard --------------------------------------------------------------

ChildIdentity www_child() { return {kWww, kWwwGroup, {kWwwGroup}}; }

TEST_F(LifecycleTest, ChildCheckFindsNothingWrongNormally) {
    PassSets s = start_server();
    fork_children(s);
    const RunMemory child = mem_;  // what fork gave the child
    EXPECT_EQ(child_check(child, kernel_, www_child(), log_, clock_->now(), false), 0);
    EXPECT_EQ(child_check(child, kernel_, www_child(), log_, clock_->now(), true), 0);
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
    EXPECT_EQ(child_check(child_a, kernel_, www_child(), log_, clock_->now(), false), 1);
    ASSERT_EQ(log_.count(tag::kSetRemoved), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kSetRemoved).level, Level::Emerg);
    EXPECT_TRUE(log_.has(tag::kSetRemoved, "set " + std::to_string(s.map) + " (rewrite-map) removed"))
        << log_.dump();
    EXPECT_TRUE(log_.has(tag::kSetRemoved, "RemoveIPC")) << log_.dump();
    // Another child, and the same child at exit: found, not said again.
    EXPECT_EQ(child_check(child_b, kernel_, www_child(), log_, clock_->now(), false), 1);
    EXPECT_EQ(child_check(child_a, kernel_, www_child(), log_, clock_->now(), true), 1);
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
    EXPECT_TRUE(log_.has(tag::kSetRemoved, std::to_string(s.accept) + " (mpm-accept)")) << log_.dump();
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
    EXPECT_EQ(child_check(child, kernel_, www_child(), log_, clock_->now(), true), 0);
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
    EXPECT_EQ(child_check(old_child, kernel_, www_child(), log_, clock_->now(), true), 0);
    EXPECT_TRUE(log_.empty()) << log_.dump();
}

TEST_F(LifecycleTest, SetMadeUnusableFromOutsideIsReportedOnce) {
    PassSets s = start_server();
    fork_children(s);
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, 0, 0, 0600).ok());  // ipcs -s ... chown root
    const RunMemory child = mem_;
    log_.clear();
    EXPECT_EQ(child_check(child, kernel_, www_child(), log_, clock_->now(), false), 1);
    ASSERT_EQ(log_.count(tag::kSetUnusable), 1u) << log_.dump();
    EXPECT_EQ(log_.first(tag::kSetUnusable).level, Level::Emerg);
    EXPECT_TRUE(log_.has(tag::kSetUnusable, std::to_string(s.accept) + " (mpm-accept)")) << log_.dump();
    EXPECT_TRUE(log_.has(tag::kSetUnusable, "uid 33")) << log_.dump();
    EXPECT_EQ(log_.count(tag::kSetRemoved), 0u) << "not a removal\n" << log_.dump();
    EXPECT_EQ(child_check(child, kernel_, www_child(), log_, clock_->now(), false), 1);
    EXPECT_EQ(log_.count(tag::kSetUnusable), 1u) << log_.dump();
}

TEST_F(LifecycleTest, ChangeFromOutsideThatStillAllowsUseIsFine) {
    PassSets s = start_server();
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, kWww, kWwwGroup, 0666).ok());
    const RunMemory child = mem_;
    log_.clear();
    EXPECT_EQ(child_check(child, kernel_, www_child(), log_, clock_->now(), false), 0);
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
    child_check(child, kernel_, www_child(), log_, clock_->now(), /*at_exit=*/true);
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
    EXPECT_EQ(child_check(child, kernel_, www_child(), log_, clock_->now(), false), 1);
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
    EXPECT_EQ(child_check(child, racing, www_child(), log_, clock_->now(), true), 0);
    EXPECT_TRUE(log_.empty()) << log_.dump();
}

TEST_F(LifecycleTest, ChildRunningAsRootCanUseAnything) {
    PassSets s = start_server();
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(s.accept, 0, 0, 0600).ok());
    const RunMemory child = mem_;
    EXPECT_EQ(child_check(child, kernel_, ChildIdentity{0, 0, {}}, log_, clock_->now(), false), 0);
}

TEST_F(LifecycleTest, ChildCheckBeforeAnyStartIsQuiet) {
    RunMemory empty;
    EXPECT_EQ(child_check(empty, kernel_, www_child(), log_, clock_->now(), false), 0);
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
    EXPECT_EQ(child_check(child, kernel_, www_child(), log_, clock_->now(), false), 0);
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

// ---- other modules' sets, reloads, parent-only sets (issue 11) -------------------

namespace semguard {
namespace {

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
        EXPECT_EQ(leaky_pass(PassKind::Preflight, 0, kPreflightPid, pre, leak), PassVerdict::Proceed);
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
    log_.clear();
    clock_->advance(30);
    probe_.set_self(200, 2000);
    RunMemory next;
    PassSets n;
    ASSERT_EQ(pass(next, PassKind::Preflight, 0, 200, n, log_), PassVerdict::Proceed);
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
    EXPECT_EQ(child_check(mem_, kernel_, child, log_, clock_->now(), false), 0) << log_.dump();
    EXPECT_EQ(log_.count(tag::kSetUnusable), 0u);

    // The set handed to the children re-owned to root from outside: SG0302 stays.
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(handed, 0, 0, 0600).ok());
    EXPECT_EQ(child_check(mem_, kernel_, child, log_, clock_->now(), false), 1);
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
