#include "anchor_block.h"

#include <new>

namespace semguard {

void anchor_init(void* memory, int64_t generation) {
    auto* b = new (memory) AnchorBlock();
    b->magic = kAnchorMagic;
    b->size = sizeof(AnchorBlock);
    b->live_generation.store(generation);
    b->retiring.store(0);
    b->removal_reported.store(0);
    b->unusable_reported.store(0);
    b->removal_count.store(0);
    b->removal_detected_at.store(0);
    for (auto& id : b->removed_semids) id.store(-1);
}

AnchorBlock* anchor_block(void* memory) {
    auto* b = static_cast<AnchorBlock*>(memory);
    if (!b || b->magic != kAnchorMagic || b->size != sizeof(AnchorBlock)) return nullptr;
    return b;
}

const AnchorBlock* anchor_block(const void* memory) {
    return anchor_block(const_cast<void*>(memory));
}

bool anchor_note_removal(AnchorBlock& b, int semid, int64_t now) {
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
    uint32_t expected = 0;
    return b.removal_reported.compare_exchange_strong(expected, 1);
}

}  // namespace semguard
