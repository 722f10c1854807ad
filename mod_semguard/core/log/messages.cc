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
    {tag::kUnprovenSets, Level::Warn,
     "Sets that the previous run may have created in a pass it was killed in, before it "
     "recorded or noted them. Only a pid ties them to it, and a pid may have been reused, so "
     "they are kept.",
     "Check each with the `ipcs -s -i ID` shown (last pid, creation time); remove it with "
     "`ipcrm -s ID` once you know it is no live program's."},
    {tag::kKeySquatted, Level::Warn,
     "A shared memory key of this server (where its anchor and record live) is taken by a "
     "segment another user created. It is not read or used; the next key is used.",
     "Inspect it with the `ipcs -m -i ID` shown; remove it (`ipcrm -m ID`) if it is no "
     "program's."},
    {tag::kHomeUnreadable, Level::Warn,
     "The record kept in this server's anchor segment could not be looked up or is damaged; "
     "nothing of it is reclaimed.",
     "Check the state file; inspect the segment with `ipcs -m -i ID`."},
    {tag::kNoFreeKey, Level::Warn,
     "Every shared memory key of this server is taken; this run's anchor is private and only "
     "the state file records the run.",
     "Inspect the segments at the keys named (`ipcs -m`) and remove the ones no program uses."},
    {tag::kOtherNamespace, Level::Notice,
     "The previous run recorded in the state file ran in another IPC namespace: its set ids "
     "name nothing here, so nothing of it is reclaimed.",
     "None (a container restarted with a new IPC namespace; its sets went with the old one)."},
    {tag::kSetRemoved, Level::Emerg,
     "A semaphore set of the running server was removed or replaced from outside (cleanup "
     "script, systemd/logind RemoveIPC).",
     "Stop the cleanup; set RemoveIPC=no; consider SemGuardProtect On; restart httpd."},
    {tag::kSetUnusable, Level::Emerg,
     "A child cannot use one of the server's sets (permissions changed from outside).",
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
