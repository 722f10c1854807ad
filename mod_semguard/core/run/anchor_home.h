// The record's home in the IPC namespace. The sets live in the IPC namespace;
// the state file lives in a filesystem that a container may get fresh (or
// read-only) while its IPC namespace lives on in the pod. So the run's anchor
// segment, which must outlive every process of the run anyway, carries a copy
// of the record, and it has a key derived from the instance identity: the next
// start finds it with no file at all.
//
// Keys, as PostgreSQL does with its own: a start tries kAnchorKeySlots keys in
// turn. A segment at one of our keys is used only when it is root's (the
// creator uid of this process) and carries this instance's digest; a segment
// of another creator there (squatting: any user may create a segment with any
// free key) is skipped with a warning and never attached; a root segment of
// another program (a collision) is skipped. A start that finds every key taken
// falls back to a private anchor, with the state file as the only record.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kernel/run_probe.h"
#include "log/logger.h"
#include "record/record.h"

namespace semguard {

constexpr uint64_t kAnchorBytes = 256 * 1024;
constexpr uint64_t kAnchorRecordOffset = 8192;  // the AnchorBlock comes first
constexpr int kAnchorKeySlots = 16;

// The key of slot 0..kAnchorKeySlots-1 for the instance with this digest.
int32_t anchor_key(const std::string& digest, int slot);

// Copies an encoded record into the anchor; false if it does not fit.
bool anchor_store_record(void* anchor, const std::string& text);
// The last completely written record text in a copy of a whole segment ("" if none).
std::string anchor_stored_record(const std::vector<unsigned char>& copy);

struct HomeRecord {
    AnchorInfo anchor;
    std::optional<Record> record;  // none: killed before its first record
    std::string problem;           // why a stored record was refused
    uint64_t ipc_namespace = 0;
};

// This instance's anchors at its keys (squatters and collisions skipped, said
// at warn/info). Attaches only segments created by this process's uid.
std::vector<HomeRecord> find_home_records(RunProbe& probe, const InstanceIdentity& self,
                                          Logger& log);

// A new anchor at the first free key; private (key 0) if none is free.
SysResult<AnchorMapping> create_home_anchor(RunProbe& probe, const InstanceIdentity& self,
                                            Logger& log);

}  // namespace semguard
