// The state file's text format: what one run tells the next about its sets.
//
// The file decides what a later start may remove, and it may have been damaged
// by a crash or edited by hand, so decoding is strict and bounded: anything that
// is not exactly what encode_record writes is refused with the line and the
// reason, and no input can make the decoder crash or allocate without limit.
//
// Format (version 1), one item per line, fields separated by one space:
//
//   mod_semguard state 1
//   instance.server_root /etc/apache2
//   instance.config_file /etc/apache2/apache2.conf
//   instance.pid_file /run/apache2/apache2.pid
//   run.parent_pid 4242
//   run.parent_start_ticks 1234567
//   run.boot_id 0b5e3c1a-...
//   run.euid 0
//   run.anchor_shmid 32769            (-1: no anchor)
//   run.anchor_creator 4242
//   run.anchor_ctime 1700000000
//   run.started_at 1700000000
//   run.ipc_ns 4026531839             (optional: inode of /proc/self/ns/ipc)
//   phase running                     (starting | running | stopped)
//   generation 2
//   written_at 1700000123
//   # set semid key uid gid cuid cgid mode nsems otime ctime creator_pid generation protected type
//   set 98304 0x00000000 0 33 0 0 0600 1 0 1700000001 4242 2 no mpm-accept
//   # removed semid type detected_at
//   removed 98305 ssl-cache 1700000100
//   end 19 8f5c0b3ad2e0c4a1
//
// The header keys come first, each exactly once (run.ipc_ns at most once); then the `set` and
// `removed` lines; `#` lines are comments. The last line is `end <lines> <checksum>`: the number of
// lines before it and the FNV-1a 64 of every byte before it, in 16 lowercase hex digits, so a
// truncated or altered file is refused.
//
// Strings (paths, boot id, mutex types) are percent-encoded: every byte outside
// [A-Za-z0-9._~/:@+,=-] becomes %XX, the empty string is `-` and the string
// "-" is `%2D`, so any bytes round-trip and no field ever contains a space.
// Times are seconds since the epoch, mode is octal, key is hex as ipcs shows it.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "record/record.h"
#include "result.h"

namespace semguard {

inline constexpr int kStateFormatVersion = 1;
// Longer lines are refused before being looked at; a path whose encoded form
// would exceed this makes the written file unreadable (and so reclaims nothing).
inline constexpr size_t kMaxStateLineBytes = 4096;
inline constexpr size_t kMaxRecordedSets = 100000;
inline constexpr size_t kMaxOutsideRemovals = 100000;

struct DecodeError {
    size_t line = 0;      // 1-based; 0 when the problem is the text as a whole
    std::string message;  // what is wrong, e.g. "semid is not a number"

    // "line 7: semid is not a number", or the message alone when line is 0.
    std::string describe() const;
};

using DecodeResult = Result<Record, DecodeError>;

// Writes any Record. decode_record only accepts what a live server can have
// written (pids > 0, 1..65535 semaphores per set, mode <= 0777, ...), so a
// Record that breaks those rules does not survive the round trip.
// Returns "" only when memory runs out (decode_record refuses "").
std::string encode_record(const Record& record);

DecodeResult decode_record(std::string_view text);

}  // namespace semguard
