// The page's owner breakdown without a listing of the host's sets per request.
// The breakdown needs every set of the host (O(sets on the host): 30,000 sets
// are 30,000 semctl calls), and the page, /server-status and every scrape of
// ?metrics ask for it. One cache per process (a child answers many requests):
// the host is listed again only when SEM_INFO's figures (sets in use,
// semaphores in use, highest index) changed, when this server's own sets or
// the look-alikes changed, or when the breakdown is older than kMaxAgeMs. So
// the breakdown may lag the kernel by up to that age, and only when the
// figures stayed equal (one set removed and another of the same size made at
// the same index, or sets handed to another owner).
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <set>
#include <string>

#include "diagnosis/owners.h"
#include "kernel/sem_kernel.h"

namespace semguard {

class OwnerCache {
public:
    static constexpr int64_t kMaxAgeMs = 1000;

    // `usage`: SEM_INFO of this request (nullptr when it could not be read:
    // then the host is listed). `now_ms`: a monotonic clock. False when the
    // sets could not be listed (and nothing fresh enough is cached).
    bool breakdown(SemKernel& kernel, const SemUsage* usage, const std::set<int>& ours,
                   const std::set<int>& httpd_like, int64_t now_ms,
                   const std::function<std::string(uid_t)>& name_of, OwnerBreakdown& out);

    long listings() const { return listings_; }  // host listings so far (tests, bench)

    // The monotonic clock collect_status passes, in milliseconds.
    static int64_t monotonic_ms();

private:
    std::mutex mutex_;  // worker/event MPM threads share the cache
    bool valid_ = false;
    SemUsage usage_;
    std::set<int> ours_, like_;
    int64_t at_ms_ = 0;
    OwnerBreakdown cached_;
    long listings_ = 0;
};

}  // namespace semguard
