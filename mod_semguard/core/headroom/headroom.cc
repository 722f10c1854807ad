#include "headroom/headroom.h"

#include <algorithm>
#include <map>

#include "version.h"

namespace semguard {

namespace {

std::string num(long v) { return std::to_string(v); }

long percent(long used, long limit) { return limit > 0 ? (used * 100) / limit : 100; }

// Room for at least twice what is needed, in steps an administrator recognises.
long raised_limit(long current, long needed) {
    long target = std::max(current, needed * 2);
    const long step = 128;
    target = ((target + step - 1) / step) * step;
    return std::max(target, current);
}

std::string alternatives_text(const std::vector<std::string>& alts) {
    std::string out;
    for (const auto& a : alts) {
        std::string one = "`Mutex " + a + " default`";
        if (a == "pthread") one += " (robust process-shared pthread mutexes, no kernel sets)";
        if (a == "fcntl" || a == "flock") one += " (lock files in DefaultRuntimeDir)";
        out += (out.empty() ? "" : " or ") + one;
    }
    return out;
}

}  // namespace

std::string sysctl_line_for(const SemLimits& l, long needed_arrays, long needed_semaphores) {
    const long mns = raised_limit(l.semmns, needed_semaphores);
    const long mni = raised_limit(l.semmni, needed_arrays);
    return "sysctl -w kernel.sem=\"" + num(l.semmsl) + " " + num(mns) + " " + num(l.semopm) + " " +
           num(mni) + "\"";
}

std::string describe_mechanisms(const std::vector<MutexConfig>& mutexes) {
    std::map<std::string, std::string> by_mech;
    for (const auto& m : mutexes) {
        if (m.type == "default") continue;
        auto& list = by_mech[m.mechanism];
        list += (list.empty() ? "" : ", ") + m.type;
    }
    std::string out;
    for (const auto& [mech, types] : by_mech)
        out += (out.empty() ? "" : "; ") + mech + " (" + types + ")";
    return out.empty() ? "no mutexes registered" : out;
}

HeadroomVerdict assess_headroom(const HeadroomInput& in) {
    HeadroomVerdict v;
    v.uses_sysv = std::any_of(in.mutexes.begin(), in.mutexes.end(),
                              [](const MutexConfig& m) { return m.type != "default" && m.sysv(); });
    const std::string mechs = describe_mechanisms(in.mutexes);
    if (!v.uses_sysv) {
        v.state = HeadroomState::Ok;
        v.summary = "no mutex uses SysV semaphores, nothing to check: " + mechs;
        return v;
    }

    const SemLimits& l = in.limits;
    const long arrays_after = in.usage.arrays + in.need.arrays;
    const long sems_after = in.usage.semaphores + in.need.semaphores;
    const std::string need_text = num(in.need.arrays) + (in.need.exact ? "" : " (at most)") +
                                  " arrays and " + num(in.need.semaphores) + " semaphores";
    // Where undo structures are bounded (SEMMNU, SEMUME: Solaris, the BSDs), each
    // process locking with SEM_UNDO needs one, with one entry per set it uses.
    const long sets_per_process = in.need.arrays;
    const long undo_needed = l.undo_enforced ? in.max_processes : 0;
    v.summary = "mutexes: " + mechs + "; SysV arrays " + num(in.usage.arrays) + "/" +
                num(l.semmni) + " in use, semaphores " + num(in.usage.semaphores) + "/" +
                num(l.semmns) + " in use; this configuration needs " + need_text +
                (l.undo_enforced ? "; undo structures: up to " + num(undo_needed) + " of " +
                                       num(l.semmnu) + " (SEMMNU), " + num(sets_per_process) +
                                       " entries per process of " + num(l.semume) + " (SEMUME)"
                                 : "; undo structures are not limited on this OS") +
                "; mod_semguard " + kModuleVersion;
    v.sysctl_line = sysctl_line_for(l, arrays_after, sems_after);

    const long free_arrays = l.semmni - in.usage.arrays;
    const long free_sems = l.semmns - in.usage.semaphores;
    const bool arrays_short = in.need.arrays > free_arrays;
    const bool sems_short = in.need.semaphores > free_sems;
    const std::string alts = alternatives_text(in.alternatives);

    if (arrays_short || sems_short) {
        v.state = HeadroomState::Critical;
        const std::string what = arrays_short ? "semaphore arrays (SEMMNI)" : "semaphores (SEMMNS)";
        const long limit = arrays_short ? l.semmni : l.semmns;
        const long used = arrays_short ? in.usage.arrays : in.usage.semaphores;
        const long needed = arrays_short ? in.need.arrays : in.need.semaphores;
        v.failure.push_back(
            "httpd cannot create its SysV semaphore mutexes: the kernel's limit on " + what +
            " is reached, so semget() will fail with ENOSPC and httpd will stop with "
            "\"(28)No space left on device: AH00023: Couldn't create the ... mutex\"");
        v.failure.push_back(
            "limit " + num(limit) + ", in use " + num(used) + ", free " +
            num(std::max(0L, limit - used)) + ", needed " + num(needed) + "; " +
            num(in.held_by_own_stale_sets) +
            " of those in use are held by sets this server left behind" +
            (in.owners.empty() ? std::string() : "; sets in use by owner: " + in.owners));
        v.failure.push_back(
            "hint: this is not about disk space. Raise the limit with " + v.sysctl_line +
            " (permanently: kernel.sem in /etc/sysctl.d/), find the owners of the sets in use "
            "with `ipcs -s -c` and `ipcs -s -i ID`" +
            (alts.empty() ? std::string() : ", or use " + alts + " instead of sysvsem"));
        return v;
    }

    if (l.undo_enforced && (undo_needed > l.semmnu || sets_per_process > l.semume)) {
        // Not a start failure: children fail later, under load, when they lock.
        v.state = HeadroomState::Warn;
        v.warning = "undo structures are short: up to " + num(undo_needed) +
                    " processes lock with SEM_UNDO but SEMMNU is " + num(l.semmnu) +
                    ", and each "
                    "uses " +
                    num(sets_per_process) + " undo entries of SEMUME " + num(l.semume) +
                    "; children will fail with ENOSPC under load. Raise SEMMNU/SEMUME or use " +
                    (alts.empty() ? std::string("another Mutex mechanism") : alts);
        return v;
    }

    const long arrays_pct = percent(arrays_after, l.semmni);
    const long sems_pct = percent(sems_after, l.semmns);
    if (arrays_pct >= in.warn_at_percent || sems_pct >= in.warn_at_percent) {
        v.state = HeadroomState::Warn;
        const bool arrays_worse = arrays_pct >= sems_pct;
        v.warning =
            "SysV semaphore headroom is low: with this configuration's " + need_text + ", " +
            (arrays_worse ? num(arrays_after) + " of " + num(l.semmni) + " arrays (SEMMNI)"
                          : num(sems_after) + " of " + num(l.semmns) + " semaphores (SEMMNS)") +
            " will be in use (" + num(std::max(arrays_pct, sems_pct)) + "%, SemGuardWarnAt " +
            num(in.warn_at_percent) + "%). Raise the limits now with " + v.sysctl_line +
            " and make it permanent with a kernel.sem line in /etc/sysctl.d/" +
            (alts.empty() ? std::string() : "; or use " + alts) +
            (in.owners.empty() ? std::string() : ". Sets in use by owner: " + in.owners);
        return v;
    }
    v.state = HeadroomState::Ok;
    return v;
}

}  // namespace semguard
