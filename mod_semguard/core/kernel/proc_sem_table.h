// The text of /proc/sysvipc/sem, parsed without a system call (issue #15: one
// read of that file lists the table for a fraction of one SEM_STAT_ANY per
// index). LinuxSemKernel::list_sets reads the file; this only parses it.
//
// The kernel (ipc/sem.c sysvipc_sem_proc_show, ipc/util.c) writes a header,
//
//          key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime
//
// then one line per set, in increasing index order,
// "%10d %10d  %4o %10u %5u %5u %5u %5u %10llu %10llu\n": key (signed), id,
// mode (octal), nsems, uid, gid, cuid, cgid (in the reader's user namespace,
// as IPC_STAT gives them), otime, ctime. There is no index column: the index
// is the id's low bits, `semid & 0x7fff` (IPCMNI), or `semid & 0xffffff` with
// the ipcmni_extend boot option; the caller says which.
//
// Strict, because the caller falls back to the SEM_STAT_ANY walk on any doubt:
// the exact header; exactly 10 fields per line, separated by spaces; digits
// only, without leading zeros (key may be negative; mode is octal); every value
// within what the kernel can print (semid >= 0, nsems >= 1, ids of 32 bits,
// times that fit int64_t); every line ending in '\n'; indices strictly
// increasing. Anything else is a failure with its line and reason, never a
// partial list.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kernel/sem_kernel.h"
#include "result.h"

namespace semguard {

// The header line, without its '\n'.
extern const char kProcSemHeader[];

// Index masks: IPCMNI (32768 indices) and ipcmni_extend (16M indices).
constexpr int kIpcmniIndexMask = 0x7fff;
constexpr int kIpcmniExtendIndexMask = 0xffffff;

struct ProcSemTableError {
    size_t line = 0;  // 1 is the header; 0: the text as a whole
    std::string reason;

    std::string describe() const;  // "line 3: ..." or the reason alone
};

using ProcSemTableResult = Result<std::vector<SetInfo>, ProcSemTableError>;

// Every set of the table, in its order, mode masked to 0777, index =
// semid & index_mask. `expected` only reserves room.
ProcSemTableResult parse_proc_sem_table(std::string_view text, int index_mask, size_t expected = 0);

// The same parse, fed the text as it is read: the reader needs no buffer for
// the whole file (2.5 MB for 30,000 sets, whose page faults alone cost more
// than the parse). Chunks may be cut anywhere, a line in two included.
class ProcSemTableParser {
public:
    explicit ProcSemTableParser(size_t expected = 0);

    // The next part of the text. false once the text is refused: the rest
    // need not be read.
    bool feed(std::string_view chunk);
    // The end of the text: the sets in their order, index not yet set (-1),
    // or why the text is refused. Moves the sets out: call once.
    ProcSemTableResult finish();
    // Sets parsed so far.
    size_t sets() const { return sets_.size(); }

private:
    void take_line(std::string_view line);
    void fail(size_t line, std::string reason);

    std::vector<SetInfo> sets_;
    std::string carry_;  // the start of a line cut by the end of a chunk
    size_t lines_ = 0;   // complete lines taken, the header included
    bool failed_ = false;
    ProcSemTableError error_;
};

// Sets every index to semid & index_mask; the indices must strictly increase
// (the file's order is the index order), else the first line where they do not.
// A table may be tried under one mask, then another.
std::optional<ProcSemTableError> index_proc_sem_sets(std::vector<SetInfo>& sets, int index_mask);

}  // namespace semguard
