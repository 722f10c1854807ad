// Records of earlier runs whose sets could not all be reclaimed yet (processes
// still alive, SemGuardReclaim DryRun or Off, a set still in use). Such a record
// is parked next to the state file instead of being overwritten, so a later
// start can still prove those sets stale and remove them.
#pragma once

#include <string>
#include <vector>

#include "record/record.h"
#include "kernel/sys_result.h"

namespace semguard {

// At most this many parked records are read at one start; a record is deleted
// once nothing of it is left, so any beyond the limit come up at later starts.
constexpr size_t kMaxParkedRecords = 16;

// "<state>.parked.<parent pid>.<parent start ticks>"
std::string parked_path(const std::string& state_path, const RunIdentity& run);

// Paths of parked records of this state file, in name order (bounded).
std::vector<std::string> list_parked(const std::string& state_path);

// Moves the current state file aside as a parked record.
SysStatus park_state_file(const std::string& state_path, const RunIdentity& run);

}  // namespace semguard
