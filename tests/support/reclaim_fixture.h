// The fixture of the reclaim tests (tests/unit/reclaim_*_test.cc): a fake
// world in which a previous run of this server (parent 100) created its anchor
// and its sets; each test ends that run its own way, then a new server (pid
// 300) calls reclaim_previous_run on what is left.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

#include "capture_logger.h"
#include "fake_kernel.h"
#include "httpd_sets.h"
#include "log/messages.h"
#include "run/anchor_block.h"
#include "run/attribution.h"
#include "run/reclaim.h"

namespace semguard::reclaim_test {

constexpr pid_t kOldParent = 100;
constexpr uint64_t kOldTicks = 1000;
constexpr pid_t kChild1 = 101;
constexpr pid_t kChild2 = 102;
constexpr pid_t kNewParent = 300;
constexpr uint64_t kNewTicks = 9000;
constexpr uid_t kRoot = 0;
constexpr uid_t kWww = 33;  // User www-data
constexpr gid_t kWwwGroup = 33;

inline bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

inline InstanceIdentity instance() {
    return {"/etc/apache2", "/etc/apache2/apache2.conf", "/run/apache2/apache2.pid"};
}

inline std::vector<int> ids(const std::vector<RecordedSet>& sets) {
    std::vector<int> out;
    for (const auto& s : sets) out.push_back(s.identity.semid);
    std::sort(out.begin(), out.end());
    return out;
}

inline std::vector<int> kept_ids(const std::vector<KeptSet>& sets) {
    std::vector<int> out;
    for (const auto& s : sets) out.push_back(s.set.identity.semid);
    std::sort(out.begin(), out.end());
    return out;
}

inline std::vector<int> sorted(std::vector<int> v) {
    std::sort(v.begin(), v.end());
    return v;
}

// A world in which a previous run of this server (parent 100) created its
// anchor and its sets; each test ends that run its own way, then a new server
// (pid 300) looks at what is left.
class ReclaimTest : public ::testing::Test {
protected:
    void SetUp() override {
        auto anchor = probe_.create_anchor(4096);
        ASSERT_TRUE(anchor.ok());
        anchor_ = anchor->info.shmid;
        anchor_mem_ = anchor->address;
        anchor_init(anchor_mem_, 1, instance().digest());
        previous_.instance = instance();
        previous_.run.parent_pid = kOldParent;
        previous_.run.parent_start_ticks = kOldTicks;
        previous_.run.boot_id = probe_.boot_id();
        previous_.run.euid = kRoot;
        previous_.run.anchor_shmid = anchor->info.shmid;
        previous_.run.anchor_creator = anchor->info.creator_pid;
        previous_.run.anchor_ctime = anchor->info.ctime;
        previous_.run.started_at = clock_->now();
        previous_.phase = RunPhase::Running;
        previous_.generation = 1;
        previous_.written_at = clock_->now();
        clock_->advance(5);
    }

    // One sysvsem mutex as httpd makes it (httpd_sets.h).
    int httpd_creates(pid_t pid) { return test::httpd_creates_set(kernel_, pid, kWww, kWwwGroup); }

    // A set the previous run created and recorded.
    int recorded(const std::string& type, long generation = 1) {
        const int id = httpd_creates(kOldParent);
        RecordedSet r;
        r.identity = kernel_.stat_set(id).value();
        r.type = type;
        r.creator_pid = kOldParent;
        r.generation = generation;
        previous_.sets.push_back(r);
        return id;
    }

    // The parent forks two children, which lock and unlock every set.
    void serve() {
        probe_.fork_process(kOldParent, kChild1, kOldTicks + 10);
        probe_.fork_process(kOldParent, kChild2, kOldTicks + 11);
        clock_->advance(5);
        for (const auto& r : previous_.sets) {
            for (pid_t child : {kChild1, kChild2}) {
                ASSERT_TRUE(kernel_.semop(r.identity.semid, 0, -1, child).ok());
                ASSERT_TRUE(kernel_.semop(r.identity.semid, 0, 1, child).ok());
            }
        }
        clock_->advance(5);
    }

    void parent_killed() {
        clock_->advance(1);
        probe_.remove_process(kOldParent);
    }
    void children_exit() {
        clock_->advance(1);
        probe_.remove_process(kChild1);
        probe_.remove_process(kChild2);
    }
    void become_new_server() {
        clock_->advance(60);
        probe_.set_self(kNewParent, kNewTicks);
    }

    ReclaimOutcome reclaim(ReclaimMode mode = ReclaimMode::On, bool post_mortem = true) {
        ReclaimSettings rs;
        rs.mode = mode;
        rs.self = instance();
        rs.report_post_mortem = post_mortem;
        const Snapshot live = take_snapshot(kernel_);
        EXPECT_TRUE(live.ok);
        return reclaim_previous_run(kernel_, probe_, previous_, live.sets, rs, log_);
    }

    bool exists(int semid) { return kernel_.stat_set(semid).ok(); }
    bool anchor_exists() {
        auto a = probe_.stat_anchor(anchor_);
        return a.ok() && a.value().has_value();
    }

    std::shared_ptr<TestClock> clock_ = std::make_shared<TestClock>();
    FakeSemKernel kernel_{clock_};
    FakeRunProbe probe_{clock_, kOldParent, kOldTicks};
    CaptureLogger log_;
    Record previous_;
    int anchor_ = -1;
    void* anchor_mem_ = nullptr;  // the old run's mapping, shared by its processes
};

}  // namespace semguard::reclaim_test
