// Reading /proc/sysvipc/sem for LinuxSemKernel::list_sets (issue #15): one
// open and about one read() per 4 KiB (the kernel's seq_file fills a page per
// call) instead of one semctl(SEM_STAT_ANY) per index. Whether that costs less
// than the walk depends on the kernel (listing_choice.h): list_sets times a
// sample of each on large tables.
//
// The file is used only when it can be trusted; on any doubt the caller walks
// the table exactly as before:
//   - it must be procfs (fstatfs on the open descriptor): an ordinary file
//     bind-mounted over it is refused, whatever it holds;
//   - the kernel shows the IPC namespace of the process that opens it
//     (current->nsproxy->ipc_ns at open), not that of the proc mount, and ids
//     in the opener's user namespace, as IPC_STAT does: the same view as the walk;
//   - the text must parse strictly (proc_sem_table.h) under an index mask;
//   - its last set must be at the index the mask gives: one SEM_STAT_ANY there
//     must give back its id. 0x7fff (IPCMNI) first, then 0xffffff (the
//     ipcmni_extend boot option); neither (the set was removed meanwhile, or the
//     file is not what it seems): the walk.
// An empty table is left to the walk: it costs nothing there, and an empty file
// has no set to confirm it with.
//
// One difference with the walk: the file lists every set, also those a
// security module hides from SEM_STAT_ANY (EACCES), which the walk skips.

// SEM_STAT_ANY is __USE_MISC in glibc; see linux_kernel.cc.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <utility>

#include "kernel/linux_proc_sem.h"

#include "kernel/linux_kernel.h"

namespace semguard {

const char kProcSysvipcSem[] = "/proc/sysvipc/sem";

namespace {

// seq_file gives about a page per read(); a few pages are room enough.
constexpr size_t kChunk = 16 * 1024;

// semctl's fourth argument, as in linux_kernel.cc.
union semun {
    int val;
    struct semid_ds* buf;
    unsigned short* array;
    struct seminfo* info;
};

bool index_holds(int index, int semid) {
    struct semid_ds ds {};
    union semun arg;
    arg.buf = &ds;
    return ::semctl(index, 0, SEM_STAT_ANY, arg) == semid;
}

}  // namespace

// Sets made between SEM_INFO and the read: a quarter more room, and it grows.
ProcSemFile::ProcSemFile(const std::string& path, size_t expected_sets)
    : parser_(expected_sets + expected_sets / 4) {
    if (path.empty()) return;
    fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) return;
    struct statfs fs {};
    if (::fstatfs(fd_, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) give_up();
}

ProcSemFile::~ProcSemFile() { give_up(); }

void ProcSemFile::give_up() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

// Parsed as it is read: no buffer for the whole file (for 30,000 sets its
// page faults cost more than the parse).
bool ProcSemFile::read_sets(size_t lines, size_t chunk_size) {
    if (fd_ < 0) return false;
    // On the heap: a status page may list from a thread with a small stack.
    std::unique_ptr<char[]> chunk(new (std::nothrow) char[chunk_size]);
    if (!chunk) {
        give_up();
        return false;
    }
    while (!at_end_ && parser_.sets() < lines) {
        const ssize_t n = ::read(fd_, chunk.get(), chunk_size);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) {
            give_up();
            return false;
        }
        if (n == 0) {
            at_end_ = true;
            break;
        }
        if (!parser_.feed(std::string_view(chunk.get(), static_cast<size_t>(n)))) {
            give_up();  // refused: the rest need not be read
            return false;
        }
    }
    return true;
}

std::optional<std::vector<SetInfo>> ProcSemFile::finish() {
    if (!read_sets(static_cast<size_t>(-1), kChunk)) return std::nullopt;
    give_up();
    ProcSemTableResult parsed = parser_.finish();
    // An empty table is left to the walk: it costs nothing there, and an empty
    // file has no set to confirm it with.
    if (!parsed || parsed.value().empty()) return std::nullopt;
    std::vector<SetInfo>& sets = parsed.value();
    for (const int mask : {kIpcmniIndexMask, kIpcmniExtendIndexMask}) {
        if (index_proc_sem_sets(sets, mask)) continue;  // out of order under this mask
        const SetInfo& last = sets.back();
        if (index_holds(last.index, last.semid)) return std::move(sets);
    }
    return std::nullopt;
}

}  // namespace semguard
