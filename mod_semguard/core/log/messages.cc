#include "log/messages.h"

namespace semguard {

// Tag and level only: what each message means and what to do about it is
// written once, in README.md's "Log messages" table (messages_test checks that
// every row there names a tag of this table, at this level).
const MessageSpec kMessageSpecs[] = {
    {tag::kSummary, Level::Notice},
    {tag::kNoSysv, Level::Notice},
    {tag::kLowHeadroom, Level::Warn},
    {tag::kExhausted, Level::Emerg},
    {tag::kRefuseStart, Level::Emerg},
    {tag::kKernelUnreadable, Level::Warn},
    {tag::kMutexConfigUnread, Level::Warn},
    {tag::kRemoveIpcRisk, Level::Warn},
    {tag::kRemoveIpcProtected, Level::Notice},
    {tag::kRemoveIpcUnread, Level::Warn},
    {tag::kSysvUnusable, Level::Emerg},
    {tag::kLegacyDirective, Level::Warn},
    {tag::kCensus, Level::Notice},
    {tag::kReclaimed, Level::Notice},
    {tag::kDryRun, Level::Notice},
    {tag::kKept, Level::Warn},
    {tag::kLookalikes, Level::Info},
    {tag::kStateRejected, Level::Warn},
    {tag::kStateUnwritable, Level::Warn},
    {tag::kRemoveFailed, Level::Error},
    {tag::kNoAnchor, Level::Warn},
    {tag::kRunAlive, Level::Warn},
    {tag::kOrphanAnchors, Level::Info},
    {tag::kUnprovenSets, Level::Warn},
    {tag::kKeySquatted, Level::Warn},
    {tag::kHomeUnreadable, Level::Warn},
    {tag::kNoFreeKey, Level::Warn},
    {tag::kOtherNamespace, Level::Notice},
    {tag::kOneProcessUnprotected, Level::Notice},
    {tag::kHomeInsteadOfFile, Level::Warn},
    {tag::kRestartGrowth, Level::Warn},
    {tag::kStopSweep, Level::Notice},
    {tag::kUnvouched, Level::Warn},
    {tag::kStateShared, Level::Warn},
    {tag::kSetRemoved, Level::Emerg},
    {tag::kSetUnusable, Level::Emerg},
    {tag::kPostMortem, Level::Notice},
    {tag::kProtectFailed, Level::Warn},
    {tag::kInternal, Level::Error},
};

const std::size_t kMessageSpecCount = sizeof kMessageSpecs / sizeof kMessageSpecs[0];

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
