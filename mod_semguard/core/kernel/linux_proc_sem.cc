// LinuxSemKernel::list_sets from /proc/sysvipc/sem (issue #15): one open and
// about one read() per 4 KiB (the kernel's seq_file fills a page per call)
// instead of one semctl(SEM_STAT_ANY) per index. Measured on 30,000 sets
// (bench_scan): list_sets about 0.6x the bare SEM_STAT_ANY loop, the walk 1.2x.
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

#include "kernel/linux_kernel.h"
#include "kernel/proc_sem_table.h"

namespace semguard {

const char kProcSysvipcSem[] = "/proc/sysvipc/sem";

namespace {

// seq_file gives about a page per read(); a few pages are room enough.
constexpr size_t kChunk = 16 * 1024;

// The sets the file gives, parsed as they are read (no buffer for the whole
// file: for 30,000 sets its page faults cost more than the parse); nullopt if
// it is not procfs's, cannot be read or is refused by the parser.
std::optional<std::vector<SetInfo>> read_proc_file(const std::string& path, size_t expected_sets) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    struct statfs fs {};
    if (::fstatfs(fd, &fs) < 0 || fs.f_type != PROC_SUPER_MAGIC) {
        ::close(fd);
        return std::nullopt;
    }
    // Sets made between SEM_INFO and the read: a quarter more room, and it grows.
    ProcSemTableParser parser(expected_sets + expected_sets / 4);
    // On the heap: a status page may list from a thread with a small stack.
    std::unique_ptr<char[]> chunk(new (std::nothrow) char[kChunk]);
    bool ok = chunk != nullptr;
    while (ok) {
        const ssize_t n = ::read(fd, chunk.get(), kChunk);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) {
            ok = n == 0;
            break;
        }
        if (!parser.feed(std::string_view(chunk.get(), static_cast<size_t>(n)))) {
            ok = false;  // refused: the rest need not be read
            break;
        }
    }
    ::close(fd);
    if (!ok) return std::nullopt;
    ProcSemTableResult parsed = parser.finish();
    if (!parsed) return std::nullopt;
    return std::move(parsed.value());
}

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

std::optional<std::vector<SetInfo>> LinuxSemKernel::list_sets_from_proc(const SemUsage& usage) {
    if (usage.arrays <= 0 || proc_sem_path_.empty()) return std::nullopt;
    std::optional<std::vector<SetInfo>> sets =
        read_proc_file(proc_sem_path_, static_cast<size_t>(usage.arrays));
    if (!sets || sets->empty()) return std::nullopt;
    for (const int mask : {kIpcmniIndexMask, kIpcmniExtendIndexMask}) {
        if (index_proc_sem_sets(*sets, mask)) continue;  // out of order under this mask
        const SetInfo& last = sets->back();
        if (index_holds(last.index, last.semid)) return sets;
    }
    return std::nullopt;
}

}  // namespace semguard
