#include "status/owner_cache.h"

#include <chrono>

namespace semguard {

int64_t OwnerCache::monotonic_ms() {
    using namespace std::chrono;
    return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

bool OwnerCache::breakdown(SemKernel& kernel, const SemUsage* usage, const std::set<int>& ours,
                           const std::set<int>& httpd_like, int64_t now_ms,
                           const std::function<std::string(uid_t)>& name_of, OwnerBreakdown& out) {
    std::lock_guard<std::mutex> lock(mutex_);
    const bool fresh = valid_ && usage && usage->arrays == usage_.arrays &&
                       usage->semaphores == usage_.semaphores &&
                       usage->highest_index == usage_.highest_index && ours == ours_ &&
                       httpd_like == like_ && now_ms >= at_ms_ && now_ms - at_ms_ < kMaxAgeMs;
    if (fresh) {
        out = cached_;
        return true;
    }
    ++listings_;
    auto listing = kernel.list_sets();
    if (!listing) {
        valid_ = false;
        return false;
    }
    cached_ = owner_breakdown(listing.value(), ours, httpd_like, name_of);
    valid_ = usage != nullptr;
    if (usage) usage_ = *usage;
    ours_ = ours;
    like_ = httpd_like;
    at_ms_ = now_ms;
    out = cached_;
    return true;
}

}  // namespace semguard
