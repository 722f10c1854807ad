// collect_status: the status page's model from RunMemory plus live kernel
// values, and live_headroom's thresholds.
#include "status/status_collect.h"

#include <grp.h>
#include <pwd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "fake_kernel.h"
#include "httpd_sets.h"

namespace semguard {
namespace {

constexpr pid_t kParent = 101;
constexpr pid_t kChild = 102;
constexpr pid_t kStranger = 555;
constexpr uid_t kWww = 33;
constexpr gid_t kWwwGroup = 33;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::string expected_user(uid_t uid) {
    const passwd* pw = getpwuid(uid);
    return pw ? pw->pw_name : std::to_string(uid);
}
std::string expected_group(gid_t gid) {
    const group* gr = getgrgid(gid);
    return gr ? gr->gr_name : std::to_string(gid);
}

// FakeRunProbe with each process's parent pid (/proc/PID/stat field 4), which
// the status page uses to tell the server's children from other processes.
class ParentAwareProbe : public FakeRunProbe {
public:
    using FakeRunProbe::FakeRunProbe;
    void set_parent(pid_t pid, pid_t parent) { parents_[pid] = parent; }
    SysResult<ProcessInfo> process(pid_t pid) override {
        auto r = FakeRunProbe::process(pid);
        if (r.ok() && r->parent == 0) {
            auto it = parents_.find(pid);
            if (it != parents_.end()) r.value().parent = it->second;
        }
        return r;
    }

private:
    std::map<pid_t, pid_t> parents_;
};

class StatusCollectTest : public ::testing::Test {
protected:
    void SetUp() override {
        probe_.fork_process(kParent, kChild, 2002);
        probe_.set_parent(kChild, kParent);
        probe_.add_process(kStranger, 3003);
        probe_.set_parent(kStranger, 1);

        mem_.started = true;
        mem_.started_at = 1700000000;
        mem_.record.instance = {"/etc/apache2", "/etc/apache2/apache2.conf",
                                "/run/apache2/apache2.pid"};
        mem_.record.run.parent_pid = kParent;
        mem_.record.generation = 1;
        mem_.settings.warn_at_percent = 80;
        mem_.mutexes = {{"default", "sysvsem", "sysvsem", ""},
                        {"mpm-accept", "using_defaults", "sysvsem", ""},
                        {"proxy", "fcntl", "fcntl", "/run/apache2"}};
        mem_.need.arrays = 2;
        mem_.need.semaphores = 2;
        server_.server_version = "Apache/2.4.62 (Debian)";
        server_.server_name = "www.example.org";
        server_.mpm = "prefork";
        server_.generation = 1;
        server_.now = 1700000500;
    }

    int httpd_creates(pid_t pid) { return test::httpd_creates_set(kernel_, pid, kWww, kWwwGroup); }
    int record(int semid, const std::string& type) {
        RecordedSet r;
        r.identity = kernel_.stat_set(semid).value();
        r.type = type;
        r.creator_pid = kParent;
        r.generation = 1;
        mem_.record.sets.push_back(r);
        return semid;
    }
    StatusModel collect() { return collect_status(mem_, kernel_, probe_, server_); }
    static const SetView* view(const StatusModel& m, int semid) {
        for (const auto& s : m.sets)
            if (s.semid == semid) return &s;
        return nullptr;
    }

    std::shared_ptr<TestClock> clock_ = std::make_shared<TestClock>();
    FakeSemKernel kernel_{clock_};
    ParentAwareProbe probe_{clock_, kParent, 1001};
    RunMemory mem_;
    ServerDescription server_;
};

TEST_F(StatusCollectTest, ServerAndMutexFields) {
    const StatusModel m = collect();
    EXPECT_EQ(m.server_version, "Apache/2.4.62 (Debian)");
    EXPECT_EQ(m.server_name, "www.example.org");
    EXPECT_EQ(m.server_root, "/etc/apache2");
    EXPECT_EQ(m.config_file, "/etc/apache2/apache2.conf");
    EXPECT_EQ(m.mpm, "prefork");
    EXPECT_EQ(m.generation, 1);
    EXPECT_EQ(m.parent_pid, kParent);
    EXPECT_EQ(m.now, 1700000500);
    EXPECT_EQ(m.started_at, 1700000000);
    EXPECT_EQ(m.projected_arrays, 2);
    EXPECT_EQ(m.projected_semaphores, 2);
    EXPECT_EQ(m.warn_at_percent, 80);
    ASSERT_EQ(m.mutexes.size(), 3u);
    EXPECT_EQ(m.mutexes[1].type, "mpm-accept");
    EXPECT_EQ(m.mutexes[1].configured, "using_defaults");
    EXPECT_EQ(m.mutexes[1].mechanism, "sysvsem");
    EXPECT_TRUE(m.mutexes[1].sysv);
    EXPECT_EQ(m.mutexes[2].dir, "/run/apache2");
    EXPECT_FALSE(m.mutexes[2].sysv);
    EXPECT_FALSE(m.protection_enabled);
    EXPECT_TRUE(m.kernel_ok);
    EXPECT_EQ(m.limits.semmni, 32000);
    EXPECT_TRUE(contains(m.undo_note, "not limited")) << m.undo_note;
}

TEST_F(StatusCollectTest, PresentSetWithLiveSemaphore) {
    const int id = record(httpd_creates(kParent), "mpm-accept");
    ASSERT_TRUE(kernel_.semop(id, 0, -1, kChild).ok());  // a child holds it now
    ASSERT_TRUE(kernel_.add_waiter(id, 0, false).ok());
    const StatusModel m = collect();
    const SetView* v = view(m, id);
    ASSERT_NE(v, nullptr);
    EXPECT_TRUE(v->present);
    EXPECT_TRUE(v->identity_ok);
    EXPECT_EQ(v->type, "mpm-accept");
    EXPECT_EQ(v->uid, kWww);
    EXPECT_EQ(v->gid, kWwwGroup);
    EXPECT_EQ(v->owner, expected_user(kWww));
    EXPECT_EQ(v->group, expected_group(kWwwGroup));
    EXPECT_EQ(v->mode, 0600u);
    EXPECT_EQ(v->nsems, 1u);
    EXPECT_NE(v->otime, 0);
    EXPECT_EQ(v->error, "");
    ASSERT_EQ(v->semaphores.size(), 1u);
    EXPECT_EQ(v->semaphores[0].value, 0);
    EXPECT_EQ(v->semaphores[0].waiting, 1);
    EXPECT_EQ(v->semaphores[0].last_pid, kChild);
    EXPECT_TRUE(v->semaphores[0].last_pid_alive);
    EXPECT_TRUE(v->semaphores[0].last_pid_ours) << "a child of the parent is the server's";
    EXPECT_EQ(m.usage.arrays, 1);
}

TEST_F(StatusCollectTest, LastPidThatIsTheParentIsOurs) {
    const int id = record(httpd_creates(kParent), "mpm-accept");
    const StatusModel m = collect();
    const SetView* v = view(m, id);
    ASSERT_NE(v, nullptr);
    ASSERT_EQ(v->semaphores.size(), 1u);
    EXPECT_EQ(v->semaphores[0].last_pid, kParent);
    EXPECT_TRUE(v->semaphores[0].last_pid_alive);
    EXPECT_TRUE(v->semaphores[0].last_pid_ours);
}

TEST_F(StatusCollectTest, LastPidOfAStrangerIsAliveButNotOurs) {
    const int id = record(httpd_creates(kParent), "mpm-accept");
    ASSERT_TRUE(kernel_.semop(id, 0, -1, kStranger).ok());
    const StatusModel m = collect();
    const SetView* v = view(m, id);
    ASSERT_NE(v, nullptr);
    EXPECT_TRUE(v->semaphores[0].last_pid_alive);
    EXPECT_FALSE(v->semaphores[0].last_pid_ours);
}

TEST_F(StatusCollectTest, LastPidThatExitedIsNeitherAliveNorOurs) {
    const int id = record(httpd_creates(kParent), "mpm-accept");
    ASSERT_TRUE(kernel_.semop(id, 0, -1, kChild).ok());
    ASSERT_TRUE(kernel_.semop(id, 0, 1, kChild).ok());
    probe_.zombify(kChild);
    StatusModel m = collect();
    EXPECT_FALSE(view(m, id)->semaphores[0].last_pid_alive) << "a zombie is not alive";
    EXPECT_FALSE(view(m, id)->semaphores[0].last_pid_ours);
    probe_.remove_process(kChild);
    m = collect();
    EXPECT_FALSE(view(m, id)->semaphores[0].last_pid_alive);
    EXPECT_FALSE(view(m, id)->semaphores[0].last_pid_ours);
}

TEST_F(StatusCollectTest, NeverTouchedSemaphoreHasNoLastPid) {
    auto id = kernel_.create_set(0, 1, 0600, kWww, kWwwGroup, 0, 0, kParent);
    ASSERT_TRUE(id.ok());
    record(*id, "");
    const StatusModel m = collect();
    const SetView* v = view(m, *id);
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->semaphores[0].last_pid, 0);
    EXPECT_FALSE(v->semaphores[0].last_pid_alive);
    EXPECT_FALSE(v->semaphores[0].last_pid_ours);
    EXPECT_EQ(v->type, "");
}

TEST_F(StatusCollectTest, MissingSetShowsTheRecordAndTheError) {
    const int id = record(httpd_creates(kParent), "rewrite-map");
    ASSERT_TRUE(kernel_.remove_set(id).ok());
    const StatusModel m = collect();
    const SetView* v = view(m, id);
    ASSERT_NE(v, nullptr);
    EXPECT_FALSE(v->present);
    EXPECT_EQ(v->type, "rewrite-map");
    EXPECT_TRUE(contains(v->error, "(22)")) << v->error;  // EINVAL
    EXPECT_TRUE(v->semaphores.empty());
    EXPECT_EQ(v->uid, kWww) << "the recorded owner is shown";
    EXPECT_EQ(v->mode, 0600u);
}

TEST_F(StatusCollectTest, ReplacedSetShowsTheLiveOneWithoutReadingIt) {
    const int id = record(httpd_creates(kParent), "mpm-accept");
    clock_->advance(5);
    ASSERT_TRUE(kernel_.set_owner(id, 0, 0, 0600).ok());
    const int reads_before = kernel_.calls(FakeSemKernel::Op::ReadStates);
    const StatusModel m = collect();
    const SetView* v = view(m, id);
    ASSERT_NE(v, nullptr);
    EXPECT_TRUE(v->present);
    EXPECT_FALSE(v->identity_ok);
    EXPECT_EQ(v->uid, 0u) << "what is there now";
    EXPECT_EQ(v->owner, expected_user(0));
    EXPECT_TRUE(v->semaphores.empty());
    EXPECT_EQ(kernel_.calls(FakeSemKernel::Op::ReadStates), reads_before);
}

TEST_F(StatusCollectTest, PresentMissingAndReplacedTogether) {
    const int a = record(httpd_creates(kParent), "mpm-accept");
    const int b = record(httpd_creates(kParent), "rewrite-map");
    const int c = record(httpd_creates(kParent), "ssl-cache");
    ASSERT_TRUE(kernel_.remove_set(b).ok());
    clock_->advance(1);
    ASSERT_TRUE(kernel_.set_owner(c, kWww, kWwwGroup, 0666).ok());
    const StatusModel m = collect();
    ASSERT_EQ(m.sets.size(), 3u);
    EXPECT_EQ(m.sets[0].semid, a);
    EXPECT_TRUE(m.sets[0].present && m.sets[0].identity_ok);
    EXPECT_EQ(m.sets[1].semid, b);
    EXPECT_FALSE(m.sets[1].present);
    EXPECT_EQ(m.sets[2].semid, c);
    EXPECT_TRUE(m.sets[2].present);
    EXPECT_FALSE(m.sets[2].identity_ok);
    EXPECT_EQ(m.sets[2].mode, 0666u);
}

TEST_F(StatusCollectTest, UnreadableSemaphoresAreAnError) {
    const int id = record(httpd_creates(kParent), "mpm-accept");
    kernel_.fail_next(FakeSemKernel::Op::ReadStates, EACCES);
    const StatusModel m = collect();
    const SetView* v = view(m, id);
    ASSERT_NE(v, nullptr);
    EXPECT_TRUE(v->present);
    EXPECT_TRUE(v->semaphores.empty());
    EXPECT_TRUE(contains(v->error, "(13)")) << v->error;
}

TEST_F(StatusCollectTest, ProtectedFlagAndStartupCarryOver) {
    const int id = record(httpd_creates(kParent), "mpm-accept");
    mem_.record.sets[0].is_protected = true;
    mem_.settings.protect = true;
    mem_.startup.mode = "on";
    mem_.startup.summary = "the previous run (parent 77) is over";
    mem_.startup.reclaimed.push_back({4242, "mpm-accept", 77});
    mem_.startup.post_mortem = "pm";
    mem_.reclaimed_total = 3;
    mem_.kept_total = 1;
    const StatusModel m = collect();
    EXPECT_TRUE(view(m, id)->is_protected);
    EXPECT_TRUE(m.protection_enabled);
    EXPECT_EQ(m.startup.mode, "on");
    EXPECT_EQ(m.startup.summary, "the previous run (parent 77) is over");
    ASSERT_EQ(m.startup.reclaimed.size(), 1u);
    EXPECT_EQ(m.startup.reclaimed[0].semid, 4242);
    EXPECT_EQ(m.startup.post_mortem, "pm");
    EXPECT_EQ(m.startup.reclaimed_total, 3u);
    EXPECT_EQ(m.startup.kept_total, 1u);
}

TEST_F(StatusCollectTest, KernelUnreadable) {
    kernel_.fail_next(FakeSemKernel::Op::Limits, EACCES);
    const StatusModel m = collect();
    EXPECT_FALSE(m.kernel_ok);
    EXPECT_TRUE(contains(m.kernel_error, "(13)")) << m.kernel_error;
    EXPECT_EQ(m.headroom, HeadroomState::Unknown);
}

TEST_F(StatusCollectTest, HeadroomTextFollowsTheLiveState) {
    // Ok: no advice.
    StatusModel m = collect();
    EXPECT_EQ(m.headroom, HeadroomState::Ok);
    EXPECT_EQ(m.headroom_text, "");

    // Warn with the startup warning at hand: that warning.
    kernel_.set_limits(250, 32000, 32, 10);
    for (int i = 0; i < 8; ++i) httpd_creates(kParent);
    mem_.headroom.warning = "SysV semaphore headroom is low: ...";
    m = collect();
    EXPECT_EQ(m.headroom, HeadroomState::Warn);
    EXPECT_EQ(m.headroom_text, "SysV semaphore headroom is low: ...");

    // Warn without one (the use grew since): a sysctl line from the live values.
    mem_.headroom.warning.clear();
    m = collect();
    EXPECT_EQ(m.headroom, HeadroomState::Warn);
    EXPECT_EQ(m.headroom_text, "raise the limits with sysctl -w kernel.sem=\"250 32000 32 128\"");

    // Full: critical.
    httpd_creates(kParent);
    httpd_creates(kParent);
    m = collect();
    EXPECT_EQ(m.headroom, HeadroomState::Critical);
    EXPECT_TRUE(contains(m.headroom_text, "sysctl -w kernel.sem=")) << m.headroom_text;
}

// ---- live_headroom --------------------------------------------------------------

SemLimits lim(long semmni, long semmns) {
    SemLimits l;
    l.semmsl = 250;
    l.semopm = 32;
    l.semmni = semmni;
    l.semmns = semmns;
    return l;
}
SemUsage use(long arrays, long semaphores) {
    SemUsage u;
    u.arrays = arrays;
    u.semaphores = semaphores;
    return u;
}

TEST(LiveHeadroom, Thresholds) {
    EXPECT_EQ(live_headroom(lim(100, 1000), use(0, 0), 80), HeadroomState::Ok);
    EXPECT_EQ(live_headroom(lim(100, 1000), use(79, 79), 80), HeadroomState::Ok);
    EXPECT_EQ(live_headroom(lim(100, 1000), use(80, 80), 80), HeadroomState::Warn);
    EXPECT_EQ(live_headroom(lim(100, 1000), use(99, 99), 80), HeadroomState::Warn);
    EXPECT_EQ(live_headroom(lim(100, 1000), use(100, 100), 80), HeadroomState::Critical);
    EXPECT_EQ(live_headroom(lim(100, 1000), use(120, 120), 80), HeadroomState::Critical);
    // Semaphores are the tighter limit.
    EXPECT_EQ(live_headroom(lim(100, 100), use(10, 85), 80), HeadroomState::Warn);
    EXPECT_EQ(live_headroom(lim(100, 100), use(10, 100), 80), HeadroomState::Critical);
    // SemGuardWarnAt moves the line.
    EXPECT_EQ(live_headroom(lim(100, 1000), use(50, 50), 50), HeadroomState::Warn);
    EXPECT_EQ(live_headroom(lim(100, 1000), use(50, 50), 51), HeadroomState::Ok);
    EXPECT_EQ(live_headroom(lim(100, 1000), use(99, 99), 100), HeadroomState::Ok);
    // Integer percent: 79.9% is 79%.
    EXPECT_EQ(live_headroom(lim(1000, 100000), use(799, 799), 80), HeadroomState::Ok);
}

TEST(LiveHeadroom, UnknownLimits) {
    EXPECT_EQ(live_headroom(lim(0, 1000), use(0, 0), 80), HeadroomState::Unknown);
    EXPECT_EQ(live_headroom(lim(100, 0), use(0, 0), 80), HeadroomState::Unknown);
    EXPECT_EQ(live_headroom(lim(-1, -1), use(0, 0), 80), HeadroomState::Unknown);
}

}  // namespace
}  // namespace semguard

namespace semguard {
namespace {

// Issue #12: the census (sets each mutex type holds now, sets outside httpd's
// mutex table) and SysV use by owner, with this server's sets counted.
TEST_F(StatusCollectTest, CensusAndOwnersCountWhatExistsNow) {
    const int accept1 = record(httpd_creates(kParent), "mpm-accept");
    record(httpd_creates(kParent), "mpm-accept");
    record(httpd_creates(kParent), "");  // type unknown: outside the table
    const int gone = record(httpd_creates(kParent), "mpm-accept");
    ASSERT_TRUE(kernel_.remove_set(gone).ok());  // recorded but gone: not counted
    ASSERT_TRUE(kernel_.create_set(77, 5, 0644, 0, 0, 0, 0, kStranger).ok());  // root's
    const StatusModel m = collect();
    ASSERT_EQ(m.mutexes.size(), 3u);
    EXPECT_EQ(m.mutexes[0].sets_now, 0);  // "default" holds none itself
    EXPECT_EQ(m.mutexes[1].sets_now, 2);
    EXPECT_EQ(m.mutexes[2].sets_now, 0);
    EXPECT_EQ(m.sets_outside_table, 1);
    ASSERT_EQ(m.owners.size(), 2u);
    EXPECT_EQ(m.owner_count, 2);
    EXPECT_EQ(m.owners[0].uid, kWww);
    EXPECT_EQ(m.owners[0].sets, 3);
    EXPECT_EQ(m.owners[0].ours, 3);
    EXPECT_EQ(m.owners[1].uid, 0u);
    EXPECT_EQ(m.owners[1].semaphores, 5);
    EXPECT_EQ(m.owners[1].ours, 0);
    (void)accept1;
}

}  // namespace
}  // namespace semguard
