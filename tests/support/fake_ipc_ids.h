// Linux's SysV IPC identifier scheme, so that fake ids look and recycle like real
// ones: id = seq * 32768 + index; indices are handed out cyclically below
// max(in_use * 3/2, 64), and the sequence number grows each time the cursor wraps,
// so a recycled index never gives back the id it had before.
// (ipc/util.c: ipc_idr_alloc and lib/idr.c: idr_alloc_cyclic, Linux 6.x.)
#pragma once

#include <optional>
#include <set>

namespace semguard {

class FakeIpcIds {
public:
    static constexpr int kIndexSpan = 32768;  // IPCMNI: ids are seq << 15 | index
    static constexpr int kMinCycle = 64;      // ipc_min_cycle (RADIX_TREE_MAP_SIZE)
    static constexpr int kSeqMax = 0x7fffffff >> 15;

    static int index_of(int id) { return id % kIndexSpan; }

    // The next id, or nullopt when `limit` (SEMMNI, SHMMNI) objects already exist:
    // the caller reports ENOSPC.
    std::optional<int> allocate(long limit);
    void release(int id);

    // Linux before 5.1: the lowest free index, and the sequence number raised
    // at every creation (ipc_addid: idr_alloc from 0, new->seq = ids->seq++).
    void allocate_lowest_free() { lowest_free_ = true; }

    // /proc/sys/kernel/sem_next_id (checkpoint/restore): the next object gets
    // this id if its index is free; the cursor and sequence number stay.
    void force_next_id(int id) { forced_ = id; }

    bool in_use(int id) const { return live_ids_.count(id) != 0; }
    int count() const { return static_cast<int>(indices_.size()); }
    int highest_index() const { return indices_.empty() ? -1 : *indices_.rbegin(); }

private:
    std::optional<int> first_free_index(int from, int below) const;

    std::set<int> indices_;
    std::set<int> live_ids_;
    int next_index_ = 0;  // idr_next: where the cyclic search starts
    int last_index_ = -1;
    int seq_ = 0;
    bool lowest_free_ = false;
    int forced_ = -1;
};

}  // namespace semguard
