// Every message the module logs at notice or above carries one of these stable
// tags, always at the level of its row in kMessageSpecs. README.md's "Log
// messages" table gives each its meaning and remedy. Unit tests keep the three
// in step (messages_test), and check every level actually logged against the
// table (the CaptureLogger of every engine test), so a tag is never renamed,
// reused or logged at another level.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "log/logger.h"

namespace semguard {
namespace tag {
// A table read by eye and by messages_test: kept aligned by hand.
// clang-format off
// startup headroom
constexpr const char* kSummary = "SG0101";          // notice: per start/restart summary
constexpr const char* kNoSysv = "SG0102";           // notice: no mutex uses SysV semaphores
constexpr const char* kLowHeadroom = "SG0110";      // warn: use after start crosses SemGuardWarnAt
constexpr const char* kExhausted = "SG0111";        // emerg: need exceeds what is free
constexpr const char* kRefuseStart = "SG0112";      // emerg: SemGuardRefuseStart stops the start
constexpr const char* kKernelUnreadable = "SG0120"; // warn: limits/usage could not be read
constexpr const char* kMutexConfigUnread = "SG0121";// warn: mutex configuration not understood
// diagnosis (issue #12)
constexpr const char* kRemoveIpcRisk = "SG0130";    // warn: logind's RemoveIPC can remove User's sets
constexpr const char* kRemoveIpcProtected = "SG0131"; // notice: that risk, averted by SemGuardProtect
constexpr const char* kRemoveIpcUnread = "SG0132";  // warn: a file of the RemoveIPC check unreadable
constexpr const char* kSysvUnusable = "SG0133";     // emerg: semget fails (qemu-user, seccomp)
constexpr const char* kLegacyDirective = "SG0134";  // warn: a 2.2 lock directive, translated to Mutex
constexpr const char* kCensus = "SG0135";           // notice: the run's sets at the end of a pass, by origin
// reclaim
constexpr const char* kReclaimed = "SG0201";        // notice: stale own sets removed
constexpr const char* kDryRun = "SG0202";           // notice: DryRun, would remove
constexpr const char* kKept = "SG0203";             // warn: a recorded set kept, and why
constexpr const char* kLookalikes = "SG0204";       // info: sets that look like httpd's, not ours
constexpr const char* kStateRejected = "SG0205";    // warn: state file not trusted, no reclaim
constexpr const char* kStateUnwritable = "SG0206";  // warn: state file could not be written
constexpr const char* kRemoveFailed = "SG0207";     // error: IPC_RMID of a stale own set failed
constexpr const char* kNoAnchor = "SG0208";         // warn: no anchor segment: future reclaim impossible
constexpr const char* kRunAlive = "SG0209";         // warn: processes of the previous run still alive
constexpr const char* kOrphanAnchors = "SG0210";   // info: unrecorded anchors of killed starts removed
constexpr const char* kUnprovenSets = "SG0211";    // warn: sets a killed pass may have made, kept
constexpr const char* kKeySquatted = "SG0212";     // warn: our anchor key taken by another user
constexpr const char* kHomeUnreadable = "SG0213";  // warn: record kept in the anchor unreadable/damaged
constexpr const char* kNoFreeKey = "SG0214";       // warn: no anchor key free: private anchor
constexpr const char* kOtherNamespace = "SG0215";  // notice: previous run in another IPC namespace
constexpr const char* kOneProcessUnprotected = "SG0216";  // notice: -X: SemGuardProtect not applied
constexpr const char* kHomeInsteadOfFile = "SG0217";  // warn: state file refused, IPC namespace copy used
// other modules' sets, reloads, shared state files
constexpr const char* kRestartGrowth = "SG0230";    // warn: a graceful restart left sets behind
constexpr const char* kStopSweep = "SG0231";        // notice: sets left after a clean stop removed
constexpr const char* kUnvouched = "SG0232";        // warn: enabled by reload, sets not vouched for
constexpr const char* kStateShared = "SG0233";      // warn: state file holds another instance's record
// children and protection
constexpr const char* kSetRemoved = "SG0301";       // emerg: a live set removed from outside
constexpr const char* kSetUnusable = "SG0302";      // emerg: a set a child needs is not usable by it
constexpr const char* kPostMortem = "SG0303";       // notice: how the previous run ended
constexpr const char* kProtectFailed = "SG0304";    // warn: SemGuardProtect could not be applied
// internal
constexpr const char* kInternal = "SG0901";         // error: an unexpected internal failure, contained
// clang-format on
}  // namespace tag

struct MessageSpec {
    const char* tag;
    Level level;
};

extern const MessageSpec kMessageSpecs[];
extern const std::size_t kMessageSpecCount;

// Ids for a message: at most `first` of them, then how many more and that the
// full list is on the status page. A message stays one readable line.
std::string bounded_id_list(const std::vector<int>& ids, std::size_t first = 10);

}  // namespace semguard
