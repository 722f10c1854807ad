#include "fake_ipc_ids.h"

#include <algorithm>

namespace semguard {

std::optional<int> FakeIpcIds::first_free_index(int from, int below) const {
    for (int index = from; index < below; ++index) {
        if (indices_.count(index) == 0) return index;
    }
    return std::nullopt;
}

std::optional<int> FakeIpcIds::allocate(long limit) {
    const long cap = std::min<long>(limit, kIndexSpan);
    if (count() >= cap) return std::nullopt;  // ipc_addid: ENOSPC

    if (forced_ >= 0) {  // ipc_idr_alloc's restore path
        const int id = forced_;
        forced_ = -1;
        if (indices_.count(index_of(id)) != 0) return std::nullopt;
        indices_.insert(index_of(id));
        live_ids_.insert(id);
        return id;
    }
    if (lowest_free_) {
        std::optional<int> index = first_free_index(0, kIndexSpan);
        if (!index) return std::nullopt;
        const int id = seq_ * kIndexSpan + *index;
        if (++seq_ >= kSeqMax) seq_ = 0;
        indices_.insert(*index);
        live_ids_.insert(id);
        return id;
    }
    const int in_use_now = count();
    const int below = std::min(std::max(in_use_now * 3 / 2, kMinCycle), kIndexSpan);
    std::optional<int> index = first_free_index(next_index_, below);
    if (!index && next_index_ > 0) index = first_free_index(0, below);  // wrap around
    if (!index) return std::nullopt;

    if (*index <= last_index_) {
        if (++seq_ >= kSeqMax) seq_ = 0;
    }
    last_index_ = *index;
    next_index_ = *index + 1;

    const int id = seq_ * kIndexSpan + *index;
    indices_.insert(*index);
    live_ids_.insert(id);
    return id;
}

void FakeIpcIds::release(int id) {
    if (live_ids_.erase(id) != 0) indices_.erase(index_of(id));
}

}  // namespace semguard
