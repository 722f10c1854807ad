// The real thing: SemKernel and RunProbe on Linux's SysV IPC and /proc. This
// pair (linux_kernel.cc, and linux_proc_sem.cc for the listing from
// /proc/sysvipc/sem) is the only code in the module that issues semctl/shmctl or reads /proc;
// everything else sees the kernel through the interfaces, so the fake used by
// the unit tests and this implementation are held to one contract suite.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"

namespace semguard {

// Where the kernel prints its semaphore table (ipc/sem.c).
extern const char kProcSysvipcSem[];

class LinuxSemKernel : public SemKernel {
public:
    // How the last list_sets() was made: for tests and benchmarks, never a decision.
    enum class Listing { None, Proc, Walk };

    // How list_sets() lists a table of kSampleListingFrom sets or more: the
    // cheaper way on this kernel after a sample of each (always, in the
    // module), or the file as for small tables (tests and the benchmark, to
    // measure the file by itself).
    enum class LargeTables { Cheaper, File };

    // proc_sem_path: the file list_sets() reads; a test points it elsewhere (a
    // missing file, an ordinary file) to see the walk take over.
    explicit LinuxSemKernel(std::string proc_sem_path = kProcSysvipcSem,
                            LargeTables large = LargeTables::Cheaper)
        : proc_sem_path_(std::move(proc_sem_path)), large_(large) {}

    // IPC_INFO. SEMMNU/SEMUME are reported but Linux allocates undo structures on
    // demand and never enforces them, hence undo_enforced = false.
    SysResult<SemLimits> limits() override;
    // SEM_INFO; highest_index is -1 when no set exists (the kernel then returns 0).
    SysResult<SemUsage> usage() override;
    // Every set, in index order, one of two ways (neither atomic: a set
    // created or removed meanwhile may or may not be listed):
    //   - the file: one read of /proc/sysvipc/sem (linux_proc_sem.h: procfs
    //     only, parsed strictly, its last set confirmed by one SEM_STAT_ANY at
    //     its index);
    //   - the walk: SEM_STAT_ANY for every index up to the highest in use, one
    //     syscall per index, and no permission check, so sets of every owner
    //     are seen. The file shows every set, also those a security module
    //     hides from SEM_STAT_ANY (EACCES), which the walk skips.
    // Small tables are read from the file. From kSampleListingFrom sets on,
    // which costs less depends on the kernel (listing_choice.h): the walk's
    // first indices and the file's first lines are timed, and the cheaper way
    // goes on. On any doubt about the file, the walk.
    SysResult<std::vector<SetInfo>> list_sets() override;
    // SEM_STAT_ANY for these indices only: the same walk, over a part of the table.
    SysResult<std::vector<SetInfo>> list_sets_between(int first_index, int last_index) override;
    SysResult<SetInfo> stat_set(int semid) override;
    SysResult<std::vector<SemState>> read_states(int semid, unsigned long nsems) override;
    SysStatus remove_set(int semid) override;
    SysStatus set_owner(int semid, uid_t uid, gid_t gid, unsigned mode) override;
    SysStatus probe_create() override;
    // The probe's index is its id's low bits: 15 of them (IPCMNI), or 24 with
    // the ipcmni_extend boot option. SEM_STAT_ANY at that index must give back
    // the probe's id, which proves the split; otherwise EPROTO (the caller lists).
    SysResult<CreationCursor> creation_cursor() override;

    Listing last_listing() const { return last_listing_.load(std::memory_order_relaxed); }
    const std::string& proc_sem_path() const { return proc_sem_path_; }

private:
    // A table of kSampleListingFrom sets or more: the samples, then one way.
    SysResult<std::vector<SetInfo>> list_sampled(const SemUsage& usage);
    SysResult<std::vector<SetInfo>> list_sets_between(int first_index, int last_index,
                                                      size_t expected);
    // SEM_STAT_ANY for each index, the sets found appended to `sets`.
    SysStatus walk_into(std::vector<SetInfo>& sets, int first_index, int last_index);

    std::string proc_sem_path_;
    LargeTables large_;
    // Atomic: one instance may list from several threads (a threaded MPM).
    std::atomic<Listing> last_listing_{Listing::None};
};

class LinuxRunProbe : public RunProbe {
public:
    SysResult<ProcessInfo> process(pid_t pid) override;
    pid_t self_pid() override;
    uid_t effective_uid() override;
    // "" when /proc/sys/kernel/random/boot_id cannot be read.
    std::string boot_id() override;

    // Creates, attaches and keeps attached a private segment. It is never marked
    // for removal here: its attach count and shm_dtime are the evidence that every
    // process of the run (all inherit the attachment through fork) has gone.
    SysResult<AnchorMapping> create_anchor(uint64_t size, int32_t key = 0) override;
    SysResult<std::optional<AnchorInfo>> find_anchor(int32_t key) override;
    uint64_t ipc_namespace() override;
    SysResult<std::optional<AnchorInfo>> stat_anchor(int shmid) override;
    // IPC_RMID only: a segment still attached somewhere (this process included)
    // lives on, marked for removal, until its last detach.
    SysStatus remove_anchor(int shmid) override;
    SysResult<std::vector<AnchorInfo>> list_anchors() override;
    SysResult<std::vector<unsigned char>> read_anchor(int shmid, size_t bytes) override;
    void pause(int milliseconds) override;
};

// Parses the text of /proc/PID/stat. The comm field (2) may hold spaces and ')',
// so the fields after it are found from the last ')'. Exposed for tests.
// nullopt: the text is not a stat line.
std::optional<ProcessInfo> parse_proc_stat(const std::string& text);

}  // namespace semguard
