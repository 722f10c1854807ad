// The one file that talks to Linux SysV IPC and /proc, with linux_proc_sem.cc
// (list_sets from /proc/sysvipc/sem). See linux_kernel.h.

// SEM_INFO, SEM_STAT_ANY, IPC_INFO, struct seminfo and SHM_DEST are __USE_MISC
// in glibc; g++ defines _GNU_SOURCE already, this keeps other compilers honest.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include "kernel/linux_kernel.h"

#include <fcntl.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SHM_STAT_ANY
#define SHM_STAT_ANY 15  // Linux 4.17; older glibc headers lack the name
#endif

#include <algorithm>
#include <chrono>
#include <thread>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "kernel/linux_proc_sem.h"
#include "kernel/listing_choice.h"
#include "text/codec.h"

namespace semguard {

namespace {

// glibc leaves the fourth semctl argument for the caller to declare (see
// _SEM_SEMUN_UNDEFINED); semctl is variadic and reads it by value.
union semun {
    int val;
    struct semid_ds* buf;
    unsigned short* array;
    struct seminfo* info;
};

std::string semctl_call(const char* cmd, int id) {
    return std::string("semctl(") + cmd + ", " + std::to_string(id) + ")";
}

std::string semctl_call(const char* cmd, int id, unsigned long semnum) {
    return std::string("semctl(") + cmd + ", " + std::to_string(id) + ", " +
           std::to_string(semnum) + ")";
}

std::string shmctl_call(const char* cmd, int id) {
    return std::string("shmctl(") + cmd + ", " + std::to_string(id) + ")";
}

SetInfo set_info_from(int semid, const struct semid_ds& ds) {
    SetInfo info;
    info.semid = semid;
    info.key = static_cast<int32_t>(ds.sem_perm.__key);
    info.uid = ds.sem_perm.uid;
    info.gid = ds.sem_perm.gid;
    info.cuid = ds.sem_perm.cuid;
    info.cgid = ds.sem_perm.cgid;
    info.mode = ds.sem_perm.mode & 0777;
    info.nsems = ds.sem_nsems;
    info.otime = static_cast<int64_t>(ds.sem_otime);
    info.ctime = static_cast<int64_t>(ds.sem_ctime);
    return info;
}

AnchorInfo anchor_info_from(int shmid, const struct shmid_ds& ds) {
    AnchorInfo info;
    info.shmid = shmid;
    info.key = static_cast<int32_t>(ds.shm_perm.__key);
    info.creator_pid = ds.shm_cpid;
    info.cuid = ds.shm_perm.cuid;
    info.mode = ds.shm_perm.mode & 0777;
    info.size = ds.shm_segsz;
    info.attached = ds.shm_nattch;
    info.ctime = static_cast<int64_t>(ds.shm_ctime);
    info.dtime = static_cast<int64_t>(ds.shm_dtime);
    info.marked_for_removal = (ds.shm_perm.mode & SHM_DEST) != 0;
    return info;
}

// The whole of a small /proc file. ENOENT/ESRCH tell the caller the process is gone.
SysResult<std::string> read_small_file(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return sys_error_now("open(" + path + ")");
    std::string text;
    char chunk[512];
    for (;;) {
        ssize_t n = ::read(fd, chunk, sizeof chunk);
        if (n < 0) {
            if (errno == EINTR) continue;
            SysError error = sys_error_now("read(" + path + ")");
            ::close(fd);
            return error;
        }
        if (n == 0) break;
        text.append(chunk, static_cast<size_t>(n));
    }
    ::close(fd);
    return text;
}

bool is_space(char c) { return c == ' ' || c == '\n' || c == '\t' || c == '\r'; }

}  // namespace

// ---- semaphores -------------------------------------------------------------

SysResult<SemLimits> LinuxSemKernel::limits() {
    struct seminfo info {};
    union semun arg;
    arg.info = &info;
    if (::semctl(0, 0, IPC_INFO, arg) < 0) return sys_error_now("semctl(0, 0, IPC_INFO)");
    SemLimits limits;
    limits.semmsl = info.semmsl;
    limits.semmns = info.semmns;
    limits.semopm = info.semopm;
    limits.semmni = info.semmni;
    limits.semvmx = info.semvmx;
    limits.semaem = info.semaem;  // for IPC_INFO: the adjust-on-exit maximum
    limits.semmnu = info.semmnu;
    limits.semume = info.semume;
    limits.undo_enforced = false;
    return limits;
}

SysResult<SemUsage> LinuxSemKernel::usage() {
    struct seminfo info {};
    union semun arg;
    arg.info = &info;
    int highest = ::semctl(0, 0, SEM_INFO, arg);
    if (highest < 0) return sys_error_now("semctl(0, 0, SEM_INFO)");
    SemUsage usage;
    usage.arrays = info.semusz;      // for SEM_INFO: sets in use
    usage.semaphores = info.semaem;  // for SEM_INFO: semaphores in use
    // The kernel answers 0 both for "index 0 is the highest" and for "no set".
    usage.highest_index = usage.arrays > 0 ? highest : -1;
    return usage;
}

SysResult<std::vector<SetInfo>> LinuxSemKernel::list_sets() {
    SysResult<SemUsage> now = usage();
    if (!now) return now.error();
    if (now->arrays >= kSampleListingFrom && large_ == LargeTables::Cheaper)
        return list_sampled(*now);
    if (now->arrays > 0) {
        ProcSemFile file(proc_sem_path_, static_cast<size_t>(now->arrays));
        if (std::optional<std::vector<SetInfo>> read = file.finish()) {
            last_listing_.store(Listing::Proc, std::memory_order_relaxed);
            return std::move(*read);
        }
    }
    last_listing_.store(Listing::Walk, std::memory_order_relaxed);
    return list_sets_between(0, now->highest_index, static_cast<size_t>(now->arrays));
}

SysResult<std::vector<SetInfo>> LinuxSemKernel::list_sampled(const SemUsage& usage) {
    using Clock = std::chrono::steady_clock;
    const auto since = [](Clock::time_point start) {
        return static_cast<int64_t>(
            std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    };
    const size_t expected = static_cast<size_t>(usage.arrays);
    const int walked_to = std::min(usage.highest_index, kWalkSampleIndices - 1);
    const int half = walked_to / 2;

    // The walk's first indices, in two timed halves: kept, they are the start
    // of the walk.
    std::vector<SetInfo> head;
    head.reserve(expected);
    Clock::time_point start = Clock::now();
    if (SysStatus walked = walk_into(head, 0, half); !walked) return walked.error();
    const ListingSample walk_first{since(start), half + 1};
    start = Clock::now();
    if (SysStatus walked = walk_into(head, half + 1, walked_to); !walked) return walked.error();
    const ListingSample walk = faster_part(walk_first, {since(start), walked_to - half});

    // The file's first two pages, each timed (the open counts with the first):
    // kept, they are the start of its read.
    start = Clock::now();
    ProcSemFile file(proc_sem_path_, expected);
    ListingSample proc;
    const size_t page = static_cast<size_t>(kProcSampleBytes);
    if (file.read_sets(1, page)) {
        const ListingSample first{since(start), static_cast<long>(file.sets_read())};
        start = Clock::now();
        if (file.read_sets(file.sets_read() + 1, page))
            proc = faster_part(first,
                               {since(start), static_cast<long>(file.sets_read()) - first.units});
    }

    if (file.usable() &&
        cheaper_rest(walk, usage.highest_index - walked_to, proc,
                     usage.arrays - static_cast<long>(file.sets_read())) == ListingWay::Proc) {
        if (std::optional<std::vector<SetInfo>> read = file.finish()) {
            last_listing_.store(Listing::Proc, std::memory_order_relaxed);
            return std::move(*read);
        }
    }
    last_listing_.store(Listing::Walk, std::memory_order_relaxed);
    if (SysStatus walked = walk_into(head, walked_to + 1, usage.highest_index); !walked)
        return walked.error();
    return head;
}

SysResult<std::vector<SetInfo>> LinuxSemKernel::list_sets_between(int first_index, int last_index) {
    return list_sets_between(first_index, last_index, 0);
}

SysResult<std::vector<SetInfo>> LinuxSemKernel::list_sets_between(int first_index, int last_index,
                                                                  size_t expected) {
    std::vector<SetInfo> sets;
    sets.reserve(expected);
    if (SysStatus walked = walk_into(sets, first_index, last_index); !walked) return walked.error();
    return sets;
}

SysStatus LinuxSemKernel::walk_into(std::vector<SetInfo>& sets, int first_index, int last_index) {
    for (int index = first_index < 0 ? 0 : first_index; index <= last_index; ++index) {
        struct semid_ds ds {};
        union semun arg;
        arg.buf = &ds;
        int semid = ::semctl(index, 0, SEM_STAT_ANY, arg);
        if (semid < 0) {
            // EINVAL: no set at this index (a hole, or removed while we walk).
            // EACCES: a security module hides it. Neither stops the walk.
            if (errno == EINVAL || errno == EIDRM || errno == EACCES) continue;
            return sys_error_now(semctl_call("SEM_STAT_ANY", index));
        }
        sets.push_back(set_info_from(semid, ds));
        sets.back().index = index;
    }
    return {};
}

SysResult<SetInfo> LinuxSemKernel::stat_set(int semid) {
    struct semid_ds ds {};
    union semun arg;
    arg.buf = &ds;
    if (::semctl(semid, 0, IPC_STAT, arg) < 0) return sys_error_now(semctl_call("IPC_STAT", semid));
    return set_info_from(semid, ds);
}

SysResult<std::vector<SemState>> LinuxSemKernel::read_states(int semid, unsigned long nsems) {
    // GETVAL per semaphore rather than GETALL: GETALL writes as many values as
    // the set has *now*, which overflows a buffer sized from an older stat if
    // the id was ever reused by a larger set. Every command here only reads.
    std::vector<SemState> states(nsems);
    for (unsigned long i = 0; i < nsems; ++i) {
        const int semnum = static_cast<int>(i);
        int value = ::semctl(semid, semnum, GETVAL);
        if (value < 0) return sys_error_now(semctl_call("GETVAL", semid, i));
        int pid = ::semctl(semid, semnum, GETPID);
        if (pid < 0) return sys_error_now(semctl_call("GETPID", semid, i));
        int ncnt = ::semctl(semid, semnum, GETNCNT);
        if (ncnt < 0) return sys_error_now(semctl_call("GETNCNT", semid, i));
        int zcnt = ::semctl(semid, semnum, GETZCNT);
        if (zcnt < 0) return sys_error_now(semctl_call("GETZCNT", semid, i));
        states[i].value = value;
        states[i].last_pid = static_cast<pid_t>(pid);
        states[i].waiting = ncnt;
        states[i].waiting_zero = zcnt;
    }
    return states;
}

SysStatus LinuxSemKernel::probe_create() {
    const int semid = ::semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (semid < 0) return sys_error_now("semget(IPC_PRIVATE, 1, IPC_CREAT|IPC_EXCL|0600)");
    if (::semctl(semid, 0, IPC_RMID) < 0) return sys_error_now(semctl_call("IPC_RMID", semid));
    return {};
}

SysResult<CreationCursor> LinuxSemKernel::creation_cursor() {
    const int semid = ::semget(IPC_PRIVATE, 1, IPC_CREAT | IPC_EXCL | 0600);
    if (semid < 0) return sys_error_now("semget(IPC_PRIVATE, 1, IPC_CREAT|IPC_EXCL|0600)");
    CreationCursor cursor;
    for (const int index_bits : {0x7fff, 0xffffff}) {
        struct semid_ds ds {};
        union semun arg;
        arg.buf = &ds;
        const int index = semid & index_bits;
        if (::semctl(index, 0, SEM_STAT_ANY, arg) == semid) {
            cursor.index = index;
            cursor.era = static_cast<int64_t>(semid) - index;
            break;
        }
    }
    // Gone already (another root removed it) is as good: it was made.
    if (::semctl(semid, 0, IPC_RMID) < 0 && errno != EINVAL && errno != EIDRM)
        return sys_error_now(semctl_call("IPC_RMID", semid));
    if (cursor.index < 0)
        return SysError{
            EPROTO, "SEM_STAT_ANY: no index gives back the probe's id " + std::to_string(semid)};
    return cursor;
}

SysStatus LinuxSemKernel::remove_set(int semid) {
    if (::semctl(semid, 0, IPC_RMID) < 0) return sys_error_now(semctl_call("IPC_RMID", semid));
    return {};
}

SysStatus LinuxSemKernel::set_owner(int semid, uid_t uid, gid_t gid, unsigned mode) {
    // IPC_SET takes uid, gid and mode together: start from the current values so
    // that nothing else in the permission block is touched.
    struct semid_ds ds {};
    union semun arg;
    arg.buf = &ds;
    if (::semctl(semid, 0, IPC_STAT, arg) < 0) return sys_error_now(semctl_call("IPC_STAT", semid));
    ds.sem_perm.uid = uid;
    ds.sem_perm.gid = gid;
    ds.sem_perm.mode = static_cast<unsigned short>((ds.sem_perm.mode & ~0777u) | (mode & 0777u));
    if (::semctl(semid, 0, IPC_SET, arg) < 0) {
        return sys_error_now("semctl(IPC_SET, " + std::to_string(semid) + ", uid " +
                             std::to_string(uid) + " gid " + std::to_string(gid) + " mode " +
                             octal_mode(mode & 0777u) + ")");
    }
    return {};
}

// ---- processes ----------------------------------------------------------------

std::optional<ProcessInfo> parse_proc_stat(const std::string& text) {
    // "PID (COMM) S PPID ..." - COMM is whatever the process chose, ')' included.
    const std::string::size_type close = text.rfind(')');
    if (close == std::string::npos || text.find('(') > close) return std::nullopt;

    // Fields 3 (state) to 22 (starttime) follow the comm, separated by spaces.
    std::vector<std::string> fields;
    std::string::size_type pos = close + 1;
    while (fields.size() < 20) {
        while (pos < text.size() && is_space(text[pos])) ++pos;
        if (pos >= text.size()) return std::nullopt;
        std::string::size_type end = pos;
        while (end < text.size() && !is_space(text[end])) ++end;
        fields.push_back(text.substr(pos, end - pos));
        pos = end;
    }
    const std::string& state = fields[0];
    const std::string& ppid = fields[1];
    const std::string& start = fields[19];
    if (state.size() != 1 || start.empty()) return std::nullopt;
    for (char c : start) {
        if (c < '0' || c > '9') return std::nullopt;
    }

    ProcessInfo info;
    errno = 0;
    info.start_ticks = std::strtoull(start.c_str(), nullptr, 10);
    if (errno == ERANGE) return std::nullopt;
    char* end = nullptr;
    const long parent = std::strtol(ppid.c_str(), &end, 10);
    if (end == ppid.c_str() || *end != '\0' || parent < 0 || parent > INT32_MAX)
        return std::nullopt;
    info.parent = static_cast<pid_t>(parent);
    // Z: exited, not yet reaped. X: dead and being released this instant. Both
    // have run exit_sem() and detached every segment: they hold nothing.
    switch (state[0]) {
        case 'Z':
        case 'X':
        case 'x': info.state = ProcessState::Zombie; break;
        default: info.state = ProcessState::Running; break;
    }
    return info;
}

SysResult<ProcessInfo> LinuxRunProbe::process(pid_t pid) {
    ProcessInfo absent;  // state Absent, start 0
    if (pid <= 0) return absent;
    const std::string path = "/proc/" + std::to_string(pid) + "/stat";
    SysResult<std::string> text = read_small_file(path);
    if (!text) {
        // ENOENT: no such pid; ESRCH: it was reaped between open and read.
        if (text.error().code == ENOENT || text.error().code == ESRCH) return absent;
        return text.error();
    }
    std::optional<ProcessInfo> info = parse_proc_stat(*text);
    if (!info) {
        SysError error;
        error.code = EPROTO;
        error.call = "parse(" + path + ")";
        return error;
    }
    return *info;
}

pid_t LinuxRunProbe::self_pid() { return ::getpid(); }

uid_t LinuxRunProbe::effective_uid() { return ::geteuid(); }

std::string LinuxRunProbe::boot_id() {
    SysResult<std::string> text = read_small_file("/proc/sys/kernel/random/boot_id");
    if (!text) return "";
    std::string id = *text;
    while (!id.empty() && is_space(id.back())) id.pop_back();
    std::string::size_type first = 0;
    while (first < id.size() && is_space(id[first])) ++first;
    return id.substr(first);
}

// ---- the anchor ---------------------------------------------------------------

namespace {
std::string key_text(int32_t key) {
    if (key == 0) return "IPC_PRIVATE";
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08x", static_cast<unsigned>(key));
    return buf;
}
}  // namespace

SysResult<AnchorMapping> LinuxRunProbe::create_anchor(uint64_t size, int32_t key) {
    const int shmid =
        ::shmget(static_cast<key_t>(key), static_cast<size_t>(size), IPC_CREAT | IPC_EXCL | 0600);
    if (shmid < 0) {
        return sys_error_now("shmget(" + key_text(key) + ", " + std::to_string(size) +
                             ", IPC_CREAT|IPC_EXCL|0600)");
    }
    void* address = ::shmat(shmid, nullptr, 0);
    if (address == reinterpret_cast<void*>(-1)) {
        SysError error = sys_error_now("shmat(" + std::to_string(shmid) + ", NULL, 0)");
        ::shmctl(shmid, IPC_RMID, nullptr);  // never attached: it would only leak
        return error;
    }
    struct shmid_ds ds {};
    if (::shmctl(shmid, IPC_STAT, &ds) < 0) {
        SysError error = sys_error_now(shmctl_call("IPC_STAT", shmid));
        ::shmdt(address);
        ::shmctl(shmid, IPC_RMID, nullptr);
        return error;
    }
    AnchorMapping mapping;
    mapping.info = anchor_info_from(shmid, ds);
    mapping.address = address;
    return mapping;
}

SysResult<std::optional<AnchorInfo>> LinuxRunProbe::find_anchor(int32_t key) {
    if (key == 0) return std::optional<AnchorInfo>();
    const int shmid = ::shmget(static_cast<key_t>(key), 0, 0);
    if (shmid < 0) {
        if (errno == ENOENT) return std::optional<AnchorInfo>();
        return sys_error_now("shmget(" + key_text(key) + ", 0, 0)");
    }
    return stat_anchor(shmid);
}

uint64_t LinuxRunProbe::ipc_namespace() {
    struct stat st {};
    if (::stat("/proc/self/ns/ipc", &st) < 0) return 0;
    return static_cast<uint64_t>(st.st_ino);
}

SysResult<std::optional<AnchorInfo>> LinuxRunProbe::stat_anchor(int shmid) {
    struct shmid_ds ds {};
    if (::shmctl(shmid, IPC_STAT, &ds) < 0) {
        // EINVAL: no segment with this id (removed, or the id now has a new
        // sequence number). EIDRM: removed while we looked.
        if (errno == EINVAL || errno == EIDRM) return std::optional<AnchorInfo>();
        return sys_error_now(shmctl_call("IPC_STAT", shmid));
    }
    return std::optional<AnchorInfo>(anchor_info_from(shmid, ds));
}

SysStatus LinuxRunProbe::remove_anchor(int shmid) {
    if (::shmctl(shmid, IPC_RMID, nullptr) < 0) {
        return sys_error_now(shmctl_call("IPC_RMID", shmid));
    }
    return {};
}

SysResult<std::vector<AnchorInfo>> LinuxRunProbe::list_anchors() {
    struct shm_info info {};
    const int highest = ::shmctl(0, SHM_INFO, reinterpret_cast<struct shmid_ds*>(&info));
    if (highest < 0) return sys_error_now(shmctl_call("SHM_INFO", 0));
    std::vector<AnchorInfo> out;
    for (int index = 0; index <= highest; ++index) {
        struct shmid_ds ds {};
        const int shmid = ::shmctl(index, SHM_STAT_ANY, &ds);
        if (shmid < 0) {
            if (errno == EINVAL || errno == EACCES) continue;  // an empty slot
            return sys_error_now(shmctl_call("SHM_STAT_ANY", index));
        }
        out.push_back(anchor_info_from(shmid, ds));
    }
    return out;
}

SysResult<std::vector<unsigned char>> LinuxRunProbe::read_anchor(int shmid, size_t bytes) {
    struct shmid_ds ds {};
    if (::shmctl(shmid, IPC_STAT, &ds) < 0) return sys_error_now(shmctl_call("IPC_STAT", shmid));
    void* address = ::shmat(shmid, nullptr, SHM_RDONLY);
    if (address == reinterpret_cast<void*>(-1))
        return sys_error_now("shmat(" + std::to_string(shmid) + ", NULL, SHM_RDONLY)");
    const size_t n = std::min(bytes, static_cast<size_t>(ds.shm_segsz));
    std::vector<unsigned char> copy(static_cast<const unsigned char*>(address),
                                    static_cast<const unsigned char*>(address) + n);
    ::shmdt(address);
    return copy;
}

void LinuxRunProbe::pause(int milliseconds) {
    std::this_thread::sleep_for(std::chrono::milliseconds(milliseconds));
}

}  // namespace semguard
