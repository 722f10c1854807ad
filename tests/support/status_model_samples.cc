#include "status_model_samples.h"

#include <cerrno>

#include "kernel/sys_result.h"

namespace semguard::test {

const char* const kHostileText =
    "<script>alert(\"x\")</script> & 'q' \\ back\nslash\r\n\t\x01\x7f \xff\xfe \xc0\xbc end";

namespace {

constexpr int64_t kNow = 1714564800;  // 2024-05-01 12:00:00 UTC

MutexView mutex(const char* type, const char* configured, const char* mechanism, bool sysv,
                const char* dir = "") {
    MutexView m;
    m.type = type;
    m.configured = configured;
    m.mechanism = mechanism;
    m.sysv = sysv;
    m.dir = dir;
    return m;
}

SemaphoreView sem(int value, int waiting, pid_t pid, bool alive, bool ours) {
    SemaphoreView s;
    s.value = value;
    s.waiting = waiting;
    s.last_pid = pid;
    s.last_pid_alive = alive;
    s.last_pid_ours = ours;
    return s;
}

SetView set(int semid, const char* type, std::initializer_list<SemaphoreView> sems) {
    SetView s;
    s.semid = semid;
    s.type = type;
    s.uid = 33;
    s.gid = 33;
    s.owner = "www-data";
    s.group = "www-data";
    s.mode = 0600;
    s.nsems = sems.size();
    s.otime = kNow - 3;
    s.ctime = kNow - 93784;
    s.semaphores = sems;
    return s;
}

StatusModel base_model() {
    StatusModel m;
    m.server_version = "Apache/2.4.62 (Debian)";
    m.server_name = "www.example.org";
    m.server_root = "/etc/apache2";
    m.config_file = "/etc/apache2/apache2.conf";
    m.mpm = "prefork";
    m.generation = 3;
    m.parent_pid = 4242;
    m.now = kNow;
    m.started_at = kNow - 93784;  // 1 day 2 hours 3 minutes 4 seconds
    m.limits.semmsl = 32000;
    m.limits.semmns = 1024000000;
    m.limits.semopm = 500;
    m.limits.semmni = 128;
    m.limits.semvmx = 32767;
    m.limits.semaem = 32767;
    m.undo_note = "not limited on Linux (allocated on demand)";
    m.warn_at_percent = 80;
    return m;
}

}  // namespace

StatusModel rich_status_model() {
    StatusModel m = base_model();
    m.usage.arrays = 109;
    m.usage.semaphores = 112;
    m.usage.highest_index = 131;
    m.projected_arrays = 4;
    m.projected_semaphores = 5;
    m.headroom = HeadroomState::Warn;
    m.headroom_text =
        "109 of 128 semaphore sets (SEMMNI) are in use; a few more crashes and httpd cannot "
        "start. Raise kernel.sem or remove stale sets.";

    m.mutexes = {
        mutex("mpm-accept", "sysvsem", "sysvsem", true),
        mutex("ssl-cache", "default", "sysvsem", true),
        mutex("ssl-stapling", "default", "sysvsem", true),
        mutex("rewrite-map", "sysvsem", "sysvsem", true),
        mutex("authdigest-client", "default", "fcntl", false, "/var/run/apache2"),
        mutex("proxy-balancer-shm", "pthread", "pthread", false),
    };

    SetView accept = set(98304, "mpm-accept", {sem(0, 3, 4301, true, true)});
    SetView cache = set(98305, "ssl-cache", {sem(1, 0, 4302, true, true)});
    cache.is_protected = true;
    cache.uid = 0;
    cache.owner = "root";
    cache.mode = 0660;
    SetView stapling = set(98306, "ssl-stapling", {sem(1, 0, 0, false, false)});
    stapling.otime = 0;  // never operated on
    SetView multi = set(98307, "", {sem(1, 0, 4303, false, false), sem(0, 1, 777, true, false)});
    SetView missing = set(98308, "rewrite-map", {});
    missing.present = false;
    SetView replaced = set(98309, "ssl-cache", {});
    replaced.identity_ok = false;
    SetView unreadable = set(98310, "mpm-accept", {});
    unreadable.nsems = 1;
    unreadable.error = SysError{EACCES, "semctl(GETALL, 98310)"}.describe();
    m.sets = {accept, cache, stapling, multi, missing, replaced, unreadable};
    m.protection_enabled = true;

    m.startup.mode = "on";
    m.startup.summary = "The previous run was killed; 3 of its sets were reclaimed, 1 kept.";
    m.startup.post_mortem =
        "parent 4100 was killed (SIGKILL?) at 2024-05-01 11:58:02 UTC; "
        "its children were gone when this start checked";
    m.startup.reclaimed = {
        {65536, "mpm-accept", 4100}, {65537, "ssl-cache", 4100}, {65538, "", 4100}};
    m.startup.kept = {{65539, "rewrite-map", "a process of the old run (pid 4177) is still alive"}};
    m.startup.lookalikes = {32768, 32769};
    m.startup.reclaimed_total = 3;
    m.startup.kept_total = 1;
    return m;
}

StatusModel no_sysv_status_model() {
    StatusModel m = base_model();
    m.mpm = "event";
    m.usage.arrays = 2;
    m.usage.semaphores = 2;
    m.headroom = HeadroomState::Ok;
    m.mutexes = {
        mutex("mpm-accept", "default", "pthread", false),
        mutex("ssl-cache", "default", "pthread", false),
        mutex("authdigest-client", "fcntl", "fcntl", false, "/var/run/apache2"),
    };
    m.startup.mode = "on";
    m.startup.summary = "Nothing to reclaim: this configuration uses no SysV semaphores.";
    return m;
}

StatusModel status_model_with_all_strings(const std::string& text) {
    StatusModel m = rich_status_model();
    m.server_version = m.server_name = m.server_root = m.config_file = m.mpm = text;
    m.kernel_error = m.headroom_text = m.undo_note = text;
    for (MutexView& x : m.mutexes) x.type = x.configured = x.mechanism = x.dir = text;
    for (SetView& s : m.sets) s.type = s.owner = s.group = s.error = text;
    m.startup.mode = m.startup.summary = m.startup.post_mortem = text;
    for (ReclaimedView& r : m.startup.reclaimed) r.type = text;
    for (KeptView& k : m.startup.kept) k.type = k.reason = text;
    return m;
}

}  // namespace semguard::test
