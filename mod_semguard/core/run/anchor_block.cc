#include "run/anchor_block.h"

#include <algorithm>
#include <cstring>
#include <new>

namespace semguard {

void anchor_init(void* memory, int64_t generation, const std::string& instance_digest) {
    auto* b = new (memory) AnchorBlock();
    b->magic = kAnchorMagic;
    b->size = sizeof(AnchorBlock);
    std::memset(b->instance, 0, sizeof b->instance);
    std::memcpy(b->instance, instance_digest.data(),
                std::min(instance_digest.size(), sizeof b->instance - 1));
    b->live_generation.store(generation);
    b->retiring.store(0);
    b->removal_reported.store(0);
    b->unusable_reported.store(0);
    b->removal_count.store(0);
    b->removal_detected_at.store(0);
    for (auto& id : b->removed_semids) id.store(-1);
    anchor_begin_notes(*b, generation);
    b->record_slot.store(0);
    b->record_bytes[0].store(0);
    b->record_bytes[1].store(0);
    b->ipc_namespace.store(0);
    b->one_process_exit.store(0);
}

void anchor_begin_notes(AnchorBlock& b, int64_t generation) {
    b.noted_count.store(0);
    b.noted_generation.store(generation);
    for (auto& n : b.noted) {
        n.semid.store(-1);
        n.ctime.store(0);
    }
}

bool anchor_note_set(AnchorBlock& b, int semid, int64_t ctime) {
    const uint32_t n = std::min<uint32_t>(b.noted_count.load(), kAnchorMaxNoted);
    for (uint32_t i = 0; i < n; ++i)
        if (b.noted[i].semid.load() == semid && b.noted[i].ctime.load() == ctime) return true;
    if (n >= kAnchorMaxNoted) return false;
    // Entry first, count after: a reader of a killed run never sees a half entry.
    b.noted[n].semid.store(semid);
    b.noted[n].ctime.store(ctime);
    b.noted_count.store(n + 1);
    return true;
}

AnchorBlock* anchor_block(void* memory) {
    auto* b = static_cast<AnchorBlock*>(memory);
    if (!b || b->magic != kAnchorMagic || b->size != sizeof(AnchorBlock)) return nullptr;
    return b;
}

const AnchorBlock* anchor_block(const void* memory) {
    return anchor_block(const_cast<void*>(memory));
}

namespace {
// A copy may come from any segment: check its size before looking inside.
const AnchorBlock* block_in(const std::vector<unsigned char>& copy) {
    if (copy.size() < sizeof(AnchorBlock)) return nullptr;
    return anchor_block(static_cast<const void*>(copy.data()));
}
}  // namespace

std::vector<int> anchor_removals(const std::vector<unsigned char>& copy) {
    std::vector<int> out;
    const AnchorBlock* b = block_in(copy);
    if (!b) return out;
    const uint32_t n = std::min<uint32_t>(b->removal_count.load(), kAnchorMaxRemovals);
    for (uint32_t i = 0; i < n; ++i) {
        const int id = b->removed_semids[i].load();
        if (id >= 0) out.push_back(id);
    }
    return out;
}

std::vector<NotedSet> anchor_noted_sets(const std::vector<unsigned char>& copy) {
    std::vector<NotedSet> out;
    const AnchorBlock* b = block_in(copy);
    if (!b) return out;
    const uint32_t n = std::min<uint32_t>(b->noted_count.load(), kAnchorMaxNoted);
    for (uint32_t i = 0; i < n; ++i) {
        const int id = b->noted[i].semid.load();
        if (id >= 0) out.push_back({id, b->noted[i].ctime.load()});
    }
    return out;
}

bool anchor_of_instance(const std::vector<unsigned char>& copy, const std::string& digest) {
    const AnchorBlock* b = block_in(copy);
    if (!b || b->instance[sizeof b->instance - 1] != '\0') return false;
    return digest == b->instance;
}

void anchor_note_removal(AnchorBlock& b, int semid, int64_t now) {
    bool known = false;
    const uint32_t n = b.removal_count.load();
    for (uint32_t i = 0; i < n && i < kAnchorMaxRemovals; ++i)
        if (b.removed_semids[i].load() == semid) known = true;
    if (!known) {
        const uint32_t slot = b.removal_count.fetch_add(1);
        if (slot < kAnchorMaxRemovals) b.removed_semids[slot].store(semid);
    }
    int64_t zero = 0;
    b.removal_detected_at.compare_exchange_strong(zero, now);
}

bool anchor_claim_report(std::atomic<uint32_t>& claim, pid_t self,
                         const std::function<bool(pid_t)>& holder_alive) {
    const auto me = static_cast<uint32_t>(self);
    uint32_t seen = 0;
    if (claim.compare_exchange_strong(seen, me)) return true;
    if (seen == kReportWritten || seen == me) return false;
    // A pid reused since the holder died reads as alive: the report is then
    // lost, as it was before takeovers existed; never said twice.
    if (holder_alive(static_cast<pid_t>(seen))) return false;
    return claim.compare_exchange_strong(seen, me);
}

void anchor_report_written(std::atomic<uint32_t>& claim) { claim.store(kReportWritten); }

bool anchor_one_process_exit(const std::vector<unsigned char>& copy) {
    const AnchorBlock* b = block_in(copy);
    return b && b->one_process_exit.load() != 0;
}

}  // namespace semguard
