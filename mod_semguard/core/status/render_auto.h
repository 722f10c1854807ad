// ?auto: "Key: value" lines for scripts and monitoring agents, like mod_status's
// ?auto. Every line matches ^[A-Za-z0-9_-]+: .*$ whatever the model contains:
// keys derived from the model are reduced to that alphabet, and values never
// contain a newline or another control character.
//
// Keys, in this order (times in seconds since the epoch, durations in seconds):
//   ServerName ServerVersion ServerMPM ServerRoot ConfigFile Generation ParentPid
//   CurrentTime StartTime Uptime
//   KernelError                 only when the kernel's limits could not be read;
//                               otherwise SEMMNI SEMMNIUsed SEMMNIFree SEMMNS SEMMNSUsed
//                               SEMMNSFree SEMMSL SEMOPM SEMVMX [UndoNote]
//   ProjectedArrays ProjectedSemaphores WarnAtPercent
//   Headroom                    ok | warn | critical | unknown
//   [HeadroomAdvice]
//   Mutexes Mutex-<type>        the effective mechanism of each mutex
//   SysVInUse (yes|no) Protection (on|off) Sets SetsMissing
//   Set-<semid>                 type= [module=] present= owner= group= mode= nsems=
//                               value= waiting= lastpid= otime= protected= (per-semaphore
//                               fields comma-separated), or type= [module=] present=yes
//                               parent_only=yes mode=, or type= present=no reason=
//   [SetError-<semid>]          a failed read of that set
//   ReclaimMode [StartupSummary] [PostMortem] Reclaimed WouldReclaim Kept
//   [UnvouchedSets] [RestartGrowth-<module>] RemovedOutsideSets
//   ReclaimedTotal KeptTotal LookalikeSets [Lookalikes]
//   MutexSets-<type>... SetsOutsideMutexTable   sets each mutex type holds now
//   Owners Owner-<name>... ("sets=N semaphores=N this_server=N httpd_like=N")
//   [RemoveIPCRisk RemoveIPC]
#pragma once

#include <string>

#include "status/render_options.h"
#include "status/status_model.h"

namespace semguard {

// Returns "" only if memory ran out.
std::string render_auto(const StatusModel& model, const RenderOptions& options) noexcept;

}  // namespace semguard
