// The engine driven exactly as httpd drives it for the reference configuration
// (prefork, two listeners, `Mutex sysvsem default`, shmcb session cache, a prg
// RewriteMap): preflight in pid 100, detach, first real pass in pid 101,
// graceful restarts, children, and the parent's exit. The fixture of the
// lifecycle tests (tests/unit/lifecycle_*_test.cc): a fake kernel and probe, a
// state file in a temporary directory, and the steps of httpd's life, so a test
// can start a server, crash it and start it again.
#pragma once

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

#include "capture_logger.h"
#include "fake_kernel.h"
#include "httpd_sets.h"
#include "log/messages.h"
#include "record/parked_records.h"
#include "record/state_file.h"
#include "run/anchor_block.h"
#include "run/anchor_home.h"
#include "run/lifecycle.h"

namespace semguard::test {

namespace fs = std::filesystem;

constexpr pid_t kPreflightPid = 100;
constexpr uint64_t kPreflightTicks = 1000;
constexpr pid_t kParentPid = 101;  // after apr_proc_detach
constexpr uint64_t kParentTicks = 1001;
constexpr pid_t kChildA = 102;
constexpr pid_t kChildB = 103;
constexpr uid_t kWww = 33;
constexpr gid_t kWwwGroup = 33;

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

inline InstanceIdentity instance() {
    return {"/etc/apache2", "/etc/apache2/apache2.conf", "/run/apache2/apache2.pid"};
}

inline MutexConfig sysv(const std::string& type) { return {type, "using_defaults", "sysvsem", ""}; }

inline std::vector<MutexConfig> reference_mutexes() {
    return {{"default", "sysvsem", "sysvsem", ""},
            sysv("mpm-accept"),
            sysv("rewrite-map"),
            sysv("ssl-cache"),
            sysv("ssl-stapling"),
            sysv("ssl-stapling-refresh")};
}

inline ConfigFacts reference_facts() {
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

inline const RecordedSet* find_set(const Record& r, int semid) {
    for (const auto& s : r.sets)
        if (s.identity.semid == semid) return &s;
    return nullptr;
}

inline std::vector<std::string> types_of(const Record& r) {
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
    int httpd_creates(pid_t pid) { return httpd_creates_set(kernel_, pid, kWww, kWwwGroup); }

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
        made.map = httpd_creates(pid);                                     // mod_rewrite
        end_pass(in, mem, kernel_, probe_, log, kWindow1, kWindow2);
        clock_->advance(1);
        return v;
    }
    PassVerdict pass(PassKind kind, long generation, pid_t pid, PassSets& made) {
        return pass(mem_, kind, generation, pid, made, log_);
    }

    // httpd clears pconf: the generation's config-lifetime sets go.
    void clear_pconf(RunMemory& mem, const PassSets& made) {
        retire_generation(mem, kernel_, probe_, log_, clock_->now());
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

    // Half a minute later a new `apachectl start` (pid `pid`, with a fresh log)
    // runs its preflight pass in `next`: the start that looks at what the
    // previous run left. Returns the verdict of begin_pass.
    PassVerdict next_start(RunMemory& next, PassSets& made, pid_t pid = 200) {
        log_.clear();
        clock_->advance(30);
        probe_.set_self(pid, static_cast<uint64_t>(pid) * 10);
        return pass(next, PassKind::Preflight, 0, pid, made, log_);
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
    std::shared_ptr<TestClock> clock_ = std::make_shared<TestClock>();
    FakeSemKernel kernel_{clock_};
    FakeRunProbe probe_{clock_, kPreflightPid, kPreflightTicks};
    CaptureLogger log_;
    RunMemory mem_;
};

}  // namespace semguard::test
