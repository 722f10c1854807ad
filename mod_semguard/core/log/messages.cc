#include "log/messages.h"

#include <cstring>

namespace semguard {

const MessageSpec kMessageSpecs[] = {
    {tag::kSummary, Level::Notice,
     "Startup summary: mutex mechanisms, SysV arrays and semaphores in use against the kernel "
     "limits, and what this configuration creates.",
     "None; compare with `lsipc -s`."},
    {tag::kNoSysv, Level::Notice, "No mutex of this configuration uses SysV semaphores.",
     "None."},
    {tag::kLowHeadroom, Level::Warn,
     "After this start, SysV semaphore use will cross SemGuardWarnAt percent of SEMMNI or SEMMNS.",
     "Run the printed `sysctl -w kernel.sem=...` line and add it to /etc/sysctl.d/, or switch "
     "to the printed alternative mechanism."},
    {tag::kExhausted, Level::Emerg,
     "Three lines: httpd is about to fail with AH00023 because the semaphore limit is reached; "
     "the numbers; a hint.",
     "Not about disk space: raise kernel.sem as printed, remove stale sets of crashed servers, "
     "or use another Mutex mechanism."},
    {tag::kRefuseStart, Level::Emerg,
     "SemGuardRefuseStart On stopped the start before any mutex was created; httpd then "
     "reports AH00015.",
     "As for SG0111."},
    {tag::kKernelUnreadable, Level::Warn, "The kernel's semaphore limits or use could not be read.",
     "Check that /proc/sys/kernel/sem is readable; the check is skipped."},
    {tag::kMutexConfigUnread, Level::Warn,
     "httpd's mutex configuration could not be read or understood.",
     "Report it; the projection counts what it can."},
    {tag::kReclaimed, Level::Notice,
     "Stale semaphore sets of this server's previous, crashed run were removed (count, ids, "
     "types, old parent pid).",
     "None; find out why the previous run was killed."},
    {tag::kDryRun, Level::Notice, "SemGuardReclaim DryRun: the sets that would have been removed.",
     "Set SemGuardReclaim On to remove them."},
    {tag::kKept, Level::Warn, "A recorded set of the previous run was kept, with the reason.",
     "Follow the reason: wait for the old processes to exit, or inspect with `ipcs -s -i ID`."},
    {tag::kLookalikes, Level::Info,
     "Sets that look like httpd's but are not in this server's record; never removed.",
     "Inspect with the printed `ipcs -s -i ID`; remove only what you know is dead."},
    {tag::kStateRejected, Level::Warn,
     "The state file is not trusted (symlink, owner, mode, size, damage, other instance): no "
     "reclaim at this start.",
     "Remove the file named in the message after checking `ipcs -s`; it is rewritten at start."},
    {tag::kStateUnwritable, Level::Warn,
     "The state file could not be written: a crash of this run could not be reclaimed.",
     "Make DefaultRuntimeDir (or SemGuardStateFile's directory) writable by root."},
    {tag::kRemoveFailed, Level::Error, "Removing a stale set of this server failed.",
     "Check the error; remove it with `ipcrm -s ID` once verified."},
    {tag::kNoAnchor, Level::Warn,
     "The anchor segment that proves a run's end could not be created: a crash of this run "
     "cannot be reclaimed.",
     "Check SHMMNI (`lsipc -m`) and the error shown."},
    {tag::kRunAlive, Level::Warn,
     "Processes of the previous run are still alive, so none of its sets is removed.",
     "Stop the orphaned httpd children (`ps -o pid,ppid,cmd -C apache2`); the next start "
     "reclaims."},
    {tag::kOrphanAnchors, Level::Info,
     "Anchor segments of earlier starts of this server, killed before they recorded them, "
     "were removed (shared memory, not semaphores; nothing attached to them).",
     "None."},
    {tag::kRestartGrowth, Level::Warn,
     "A graceful restart left sets of the ending generation behind: a module (often one "
     "outside httpd's Mutex table) makes a new set every generation and never removes the old "
     "one. Logged once per restart with the module and the sets per restart; nothing is removed "
     "while the server runs.",
     "Update or report the named module; a full restart (or a clean stop) removes the sets; "
     "mind SEMMNI if the server is restarted often."},
    {tag::kStopSweep, Level::Notice,
     "At a clean stop, after every process of the run was gone, the module removed this run's "
     "recorded sets that httpd's own cleanups left behind, naming the module and the count.",
     "None; report the leak to the module's authors."},
    {tag::kUnvouched, Level::Warn,
     "The module was enabled by a reload: sets the running server made before are not recorded "
     "and would leak at a crash. Lists the ones last used by the server's processes.",
     "Restart httpd fully (systemctl restart apache2) once to enroll every set."},
    {tag::kStateShared, Level::Warn,
     "The state file holds the record of another server instance (ServerRoot, config, "
     "PidFile differ): two instances share one SemGuardStateFile and overwrite each other.",
     "Give each instance its own SemGuardStateFile."},
    {tag::kSetRemoved, Level::Emerg,
     "A semaphore set of the running server was removed or replaced from outside (cleanup "
     "script, systemd/logind RemoveIPC).",
     "Stop the cleanup; set RemoveIPC=no; consider SemGuardProtect On; restart httpd fully "
     "(processes that need the set cannot lock it until then)."},
    {tag::kSetUnusable, Level::Emerg,
     "A child cannot use one of the server's sets (owner or mode changed from outside). A set "
     "the parent keeps for itself (never granted to children) is not reported.",
     "Restart httpd; find what changed the set's owner or mode."},
    {tag::kPostMortem, Level::Notice,
     "How the previous run ended, when it did not stop cleanly.",
     "Follow the cause named: a crash, or sets removed from outside."},
    {tag::kProtectFailed, Level::Warn, "SemGuardProtect could not re-own a set.",
     "Check the error; the set keeps httpd's default owner."},
    {tag::kInternal, Level::Error,
     "An unexpected internal failure was contained; the server goes on without that check.",
     "Report it with the message."},
};

const std::size_t kMessageSpecCount = sizeof kMessageSpecs / sizeof kMessageSpecs[0];

const MessageSpec* find_message_spec(const char* t) {
    for (std::size_t i = 0; i < kMessageSpecCount; ++i)
        if (std::strcmp(kMessageSpecs[i].tag, t) == 0) return &kMessageSpecs[i];
    return nullptr;
}

}  // namespace semguard

namespace semguard {

std::string bounded_id_list(const std::vector<int>& ids, std::size_t first) {
    std::string out;
    for (std::size_t i = 0; i < ids.size() && i < first; ++i)
        out += (i ? ", " : "") + std::to_string(ids[i]);
    if (ids.size() > first)
        out += " and " + std::to_string(ids.size() - first) +
               " more (the full list is on the status page)";
    return out;
}

}  // namespace semguard
