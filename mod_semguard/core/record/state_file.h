// The state file on disk: read with the checks that make it trustworthy enough
// to decide removals, and replaced atomically so a crash never leaves half a file.
//
// The file lives in a root-owned directory (httpd's DefaultRuntimeDir). Reading
// refuses anything that someone other than the owner could have put or changed
// there: a symlink, a non-regular file, a foreign owner, group/other write
// permission, extra hard links. Those are checked on the opened descriptor, so
// there is no window between the check and the read.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <string>

#include "record/record.h"
#include "kernel/sys_result.h"

namespace semguard {

// A real file holds a few hundred bytes per set; this is far above any
// configuration and far below anything that could hurt httpd's parent.
inline constexpr size_t kDefaultStateFileMaxBytes = 4 * 1024 * 1024;

enum class StateFileOutcome {
    Ok,        // record holds what the previous run wrote
    Missing,   // no file: a first start, not an error
    Rejected,  // a file is there but not trusted; reason says why
    IoError,   // the file could not be read; error says how
};

struct StateFileResult {
    StateFileOutcome outcome = StateFileOutcome::Missing;
    Record record;       // Ok only
    std::string reason;  // Rejected only: "has 2 hard links", "line 7: semid is not a number"
    SysError error;      // IoError only
};

// Never throws. The reasons name no path; the caller adds it to its message.
StateFileResult read_state_file(const std::string& path, uid_t required_owner,
                                size_t max_bytes = kDefaultStateFileMaxBytes);

// Replaces path with the encoded record through `<basename>.tmp.<pid>.<n>` in
// the same directory (mode 0600, fsync, rename, fsync of the directory). After a
// crash at any point, path holds the old file or the new one, complete. The file
// is owned by the caller's euid, which read_state_file then requires.
//
// Durability::Atomic skips both fsyncs. SysV objects do not survive a power
// loss, so a record only has to be right within one boot, which rename alone
// ensures; the Starting records written on the way to the first request use it,
// the Running record of every generation is written durably.
enum class Durability { Durable, Atomic };
SysStatus write_state_file(const std::string& path, const Record& record,
                           Durability durability = Durability::Durable);

// Removes what a crash in write_state_file left behind: the entries next to path
// named `<basename>.tmp.<digits>.<digits>` that are regular files owned by this
// euid. Nothing else is touched. Call it while no writer for path is running
// (at startup): it cannot tell a crash leftover from a write in progress.
// Best effort: failures only mean a leftover stays for the next start.
void remove_stale_temp_files(const std::string& path);

// runtime_dir + "/semguard." + instance.digest() + ".state"
std::string default_state_path(const std::string& runtime_dir, const InstanceIdentity& instance);

}  // namespace semguard
