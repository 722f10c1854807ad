#include "status/status_collect.h"

#include <cerrno>
#include <set>

#include "diagnosis/owners.h"
#include "status/owner_cache.h"

#include <grp.h>
#include <pwd.h>

#include <algorithm>
#include <map>
#include <mutex>

#include <vector>

namespace semguard {

namespace {

// Looking a name up reads /etc/passwd or /etc/group each time, which was most
// of a status request's cost; a set's owner is almost always User or root. The
// cache lives as long as the child (worker MPM threads share it, hence the lock).
class NameCache {
public:
    std::string user(uid_t uid) { return lookup(users_, uid, &NameCache::read_user); }
    std::string group(gid_t gid) { return lookup(groups_, gid, &NameCache::read_group); }

private:
    static std::string read_user(unsigned id) {
        struct passwd pw, *found = nullptr;
        std::vector<char> buf(4096);
        if (getpwuid_r(id, &pw, buf.data(), buf.size(), &found) == 0 && found) return pw.pw_name;
        return std::to_string(id);
    }
    static std::string read_group(unsigned id) {
        struct group gr, *found = nullptr;
        std::vector<char> buf(4096);
        if (getgrgid_r(id, &gr, buf.data(), buf.size(), &found) == 0 && found) return gr.gr_name;
        return std::to_string(id);
    }
    std::string lookup(std::map<unsigned, std::string>& cache, unsigned id,
                       std::string (*read)(unsigned)) {
        {
            std::lock_guard<std::mutex> lock(mutex_);
            auto it = cache.find(id);
            if (it != cache.end()) return it->second;
        }
        std::string name = read(id);
        std::lock_guard<std::mutex> lock(mutex_);
        if (cache.size() < 64) cache.emplace(id, name);  // bounded: ids come from the kernel
        return name;
    }
    std::mutex mutex_;
    std::map<unsigned, std::string> users_, groups_;
};

NameCache& names() {
    static NameCache cache;
    return cache;
}

std::string user_name(uid_t uid) { return names().user(uid); }
std::string group_name(gid_t gid) { return names().group(gid); }

SemaphoreView semaphore_view(const SemState& st, RunProbe& probe, pid_t parent) {
    SemaphoreView v;
    v.value = st.value;
    v.waiting = st.waiting;
    v.last_pid = st.last_pid;
    if (st.last_pid > 0) {
        auto p = probe.process(st.last_pid);
        if (p && p->state == ProcessState::Running) {
            v.last_pid_alive = true;
            v.last_pid_ours = st.last_pid == parent || p->parent == parent;
        }
    }
    return v;
}

SetView set_view(const RecordedSet& rec, SemKernel& kernel, RunProbe& probe, pid_t parent) {
    SetView v;
    v.semid = rec.identity.semid;
    v.type = rec.type;
    v.module = rec.module;
    v.is_protected = rec.is_protected;
    SetInfo info = rec.identity;
    auto now = kernel.stat_set(rec.identity.semid);
    const uid_t reader = probe.effective_uid();
    if (!now && now.error().code == EACCES && reader != 0 && rec.identity.uid != reader &&
        rec.identity.cuid != reader && (rec.identity.mode & 0066) == 0) {
        // Kept by the parent for itself: this process (a child) was never
        // granted access, so it cannot look; the parent's guard checks it.
        v.parent_only = true;
    } else if (!now) {
        v.present = false;
        v.error = now.error().describe();
    } else {
        v.identity_ok = same_set(rec.identity, now.value());
        info = now.value();
    }
    v.uid = info.uid;
    v.gid = info.gid;
    v.owner = user_name(info.uid);
    v.group = group_name(info.gid);
    v.mode = info.mode;
    v.nsems = info.nsems;
    v.otime = info.otime;
    v.ctime = info.ctime;
    if (v.present && v.identity_ok && !v.parent_only) {
        auto states = kernel.read_states(info.semid, info.nsems);
        if (!states) {
            v.error = states.error().describe();
        } else {
            for (const auto& st : states.value())
                v.semaphores.push_back(semaphore_view(st, probe, parent));
        }
    }
    return v;
}

}  // namespace

HeadroomState live_headroom(const SemLimits& l, const SemUsage& u, int warn_at) {
    if (l.semmni <= 0 || l.semmns <= 0) return HeadroomState::Unknown;
    if (u.arrays >= l.semmni || u.semaphores >= l.semmns) return HeadroomState::Critical;
    const long pct = std::max(u.arrays * 100 / l.semmni, u.semaphores * 100 / l.semmns);
    return pct >= warn_at ? HeadroomState::Warn : HeadroomState::Ok;
}

StatusModel collect_status(const RunMemory& mem, SemKernel& kernel, RunProbe& probe,
                           const ServerDescription& server, OwnerCache* owners) {
    StatusModel m;
    m.server_version = server.server_version;
    m.server_name = server.server_name;
    m.server_root = mem.record.instance.server_root;
    m.config_file = mem.record.instance.config_file;
    m.mpm = server.mpm;
    m.generation = server.generation;
    m.parent_pid = mem.record.run.parent_pid;
    m.now = server.now;
    m.started_at = mem.started_at;

    auto limits = kernel.limits();
    auto usage = kernel.usage();
    if (limits && usage) {
        m.limits = limits.value();
        m.usage = usage.value();
        m.headroom = live_headroom(m.limits, m.usage, mem.settings.warn_at_percent);
    } else {
        m.kernel_ok = false;
        m.kernel_error = (!limits ? limits.error() : usage.error()).describe();
        m.headroom = HeadroomState::Unknown;
    }
    m.projected_arrays = mem.need.arrays;
    m.projected_semaphores = mem.need.semaphores;
    m.warn_at_percent = mem.settings.warn_at_percent;
    m.headroom_text = m.headroom == HeadroomState::Ok ? "" : mem.headroom.warning;
    if (m.headroom != HeadroomState::Ok && m.headroom_text.empty() && m.kernel_ok)
        m.headroom_text = "raise the limits with " +
                          sysctl_line_for(m.limits, m.usage.arrays, m.usage.semaphores);
    m.undo_note = m.limits.undo_enforced
                      ? "enforced: one undo structure per child per SEM_UNDO set"
                      : "not limited on this OS: undo structures are allocated on demand";

    for (const auto& mx : mem.mutexes) {
        MutexView v;
        v.type = mx.type;
        v.configured = mx.configured;
        v.mechanism = mx.mechanism;
        v.dir = mx.dir;
        v.sysv = mx.sysv();
        m.mutexes.push_back(v);
    }
    for (const auto& rec : mem.record.sets)
        m.sets.push_back(set_view(rec, kernel, probe, mem.record.run.parent_pid));
    // Census: how many sets each mutex type holds now, and the sets of this
    // server that no entry of httpd's mutex table accounts for.
    for (const SetView& s : m.sets) {
        if (!s.present || !s.identity_ok) continue;
        bool counted = false;
        for (MutexView& mx : m.mutexes)
            if (!s.type.empty() && mx.type == s.type) {
                ++mx.sets_now;
                counted = true;
            }
        if (!counted) ++m.sets_outside_table;
    }
    m.protection_enabled = mem.settings.protect;
    m.diagnosis = mem.diagnosis;
    std::set<int> ours;
    for (const auto& rec : mem.record.sets) ours.insert(rec.identity.semid);
    // The look-alikes found at start (not ours, shaped like httpd's, owned by User).
    const std::set<int> like(mem.lookalikes.begin(), mem.lookalikes.end());
    OwnerBreakdown b;
    OwnerCache once;  // without the process's cache: a listing for this model alone
    if ((owners ? *owners : once)
            .breakdown(kernel, m.kernel_ok ? &m.usage : nullptr, ours, like,
                       OwnerCache::monotonic_ms(), passwd_user_name, b)) {
        m.owner_count = b.total_owners;
        for (const auto& r : b.rows)
            m.owners.push_back(
                {r.owner, r.uid, r.others, r.owners, r.sets, r.semaphores, r.ours, r.httpd_like});
    }
    m.startup = mem.startup;
    m.startup.reclaimed_total = mem.reclaimed_total;
    m.startup.kept_total = mem.kept_total;
    for (const auto& g : mem.restart_growth) m.restart_growth.push_back({g.module, g.sets});
    m.removed_outside_sets = static_cast<long>(mem.record.removed_outside.size());
    for (const auto& r : mem.record.removed_outside) m.removed_outside.push_back({r.semid, r.type});
    return m;
}

}  // namespace semguard
