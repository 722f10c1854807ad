// In-memory SemKernel and RunProbe for the unit tests. They behave like Linux
// 6.x wherever the contract suite (tests/contract) can tell: the same id scheme,
// the same errnos, the same limits and counters. The extra methods are the rest
// of the world: other processes creating sets, operating on them, forking and
// exiting, and failures on demand.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "fake_faults.h"
#include "fake_ipc_ids.h"
#include "test_clock.h"
#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"

namespace semguard {

class FakeSemKernel : public SemKernel {
public:
    enum class Op {
        Limits,
        Usage,
        ListSets,
        StatSet,
        ReadStates,
        RemoveSet,
        SetOwner,
        ProbeCreate,
        Cursor
    };

    explicit FakeSemKernel(std::shared_ptr<TestClock> clock = std::make_shared<TestClock>());

    // What a fresh Linux 6.x namespace reports (kernel.sem = 32000 1024000000 500 32000).
    static SemLimits linux_defaults();

    // ---- SemKernel -------------------------------------------------------
    SysResult<SemLimits> limits() override;
    SysResult<SemUsage> usage() override;
    SysResult<std::vector<SetInfo>> list_sets() override;
    // Counted (and failed by fail_next) as Op::ListSets: a walk over a part of the table.
    SysResult<std::vector<SetInfo>> list_sets_between(int first_index, int last_index) override;
    SysResult<SetInfo> stat_set(int semid) override;
    SysResult<std::vector<SemState>> read_states(int semid, unsigned long nsems) override;
    SysStatus remove_set(int semid) override;
    SysStatus set_owner(int semid, uid_t uid, gid_t gid, unsigned mode) override;
    SysStatus probe_create() override;
    // A real creation and removal: the allocator's cursor moves, as on Linux.
    SysResult<CreationCursor> creation_cursor() override;

    // ---- the world -------------------------------------------------------
    // Like writing "SEMMSL SEMMNS SEMOPM SEMMNI" to /proc/sys/kernel/sem; the
    // constants (SEMVMX, SEMAEM, SEMMNU, SEMUME) stay what Linux reports.
    void set_limits(long semmsl, long semmns, long semopm, long semmni);

    // semget(key, nsems, IPC_CREAT | IPC_EXCL | mode) by process creator_pid with
    // the given ids; key 0 is IPC_PRIVATE. Values and last pids start at 0, otime
    // at 0, ctime at now. Errors as Linux: EINVAL (nsems 0 or above SEMMSL),
    // ENOSPC (SEMMNS or SEMMNI reached), EEXIST (key taken).
    SysResult<int> create_set(int32_t key, unsigned long nsems, unsigned mode, uid_t uid, gid_t gid,
                              uid_t cuid, gid_t cgid, pid_t creator_pid);
    // Linux keeps no creator pid for a set; the fake remembers it for tests. 0 if unknown.
    pid_t creator_of(int semid) const;

    // semctl(SETVAL) by `pid`: value, last pid and ctime change (ERANGE above SEMVMX).
    SysStatus set_value(int semid, unsigned long semnum, int value, pid_t pid);
    // A semop by `pid` that went through: value += delta, last pid, otime.
    // EAGAIN where the real call would block, ERANGE above SEMVMX.
    SysStatus semop(int semid, unsigned long semnum, int delta, pid_t pid);
    // Processes blocked in semop on this semaphore: `waiting` to decrement
    // (GETNCNT), `waiting_zero` for zero (GETZCNT).
    SysStatus set_waiting(int semid, unsigned long semnum, int waiting, int waiting_zero);
    // One more (or one fewer) process blocked on this semaphore; EINVAL for a gone
    // set, or when no such waiter is left to remove.
    SysStatus add_waiter(int semid, unsigned long semnum, bool for_zero);
    SysStatus remove_waiter(int semid, unsigned long semnum, bool for_zero);

    // A kernel that cannot give a creation cursor (creation_cursor: ENOSYS).
    void without_cursor() { cursor_supported_ = false; }
    // Linux before 5.1's allocator (FakeIpcIds::allocate_lowest_free).
    void allocate_lowest_free() { ids_.allocate_lowest_free(); }
    // Writing /proc/sys/kernel/sem_next_id: the next set gets this id.
    void force_next_id(int id) { ids_.force_next_id(id); }

    // The next call of `op` fails with `error_code` (queued; one per call).
    void fail_next(Op op, int error_code) { faults_.fail_next(op, error_code); }
    int calls(Op op) const { return faults_.calls(op); }
    // list_sets() calls only: walks of the whole table (issue #15 counts them).
    int full_listings() const { return full_listings_; }

    TestClock& clock() { return *clock_; }

private:
    struct Set {
        SetInfo info;
        std::vector<SemState> sems;
        pid_t creator_pid = 0;
    };

    // Linux: a negative id, a free index or a stale sequence number is EINVAL.
    Set* find(int semid);
    const Set* find(int semid) const;
    std::optional<SysError> check_semnum(const Set* set, int semid, unsigned long semnum,
                                         const char* cmd) const;

    std::shared_ptr<TestClock> clock_;
    SemLimits limits_;
    FakeIpcIds ids_;
    std::map<int, Set> sets_;  // by index: the order SEM_STAT_ANY walks them
    long used_semaphores_ = 0;
    FakeFaults<Op> faults_;
    int full_listings_ = 0;
    bool cursor_supported_ = true;
};

class FakeRunProbe : public RunProbe {
public:
    enum class Op { Process, CreateAnchor, StatAnchor, RemoveAnchor, ListAnchors, ReadAnchor };

    static constexpr pid_t kDefaultSelf = 4242;
    static constexpr uint64_t kDefaultSelfStart = 500000;

    // The table starts with one running process: this one.
    explicit FakeRunProbe(std::shared_ptr<TestClock> clock = std::make_shared<TestClock>(),
                          pid_t self = kDefaultSelf, uint64_t self_start_ticks = kDefaultSelfStart);

    // ---- RunProbe --------------------------------------------------------
    SysResult<ProcessInfo> process(pid_t pid) override;
    pid_t self_pid() override { return self_; }
    uid_t effective_uid() override { return euid_; }
    std::string boot_id() override { return boot_id_; }
    // Created by self_pid() as effective_uid(), mode 0600, attached once by self.
    SysResult<AnchorMapping> create_anchor(uint64_t size, int32_t key = 0) override;
    SysResult<std::optional<AnchorInfo>> find_anchor(int32_t key) override;
    uint64_t ipc_namespace() override { return ipc_ns_; }
    void set_ipc_namespace(uint64_t inode) { ipc_ns_ = inode; }
    // A segment made by another user with this key (a squatter); returns its id.
    int squat_key(int32_t key, uid_t cuid, pid_t creator, uint64_t size);
    SysResult<std::optional<AnchorInfo>> stat_anchor(int shmid) override;
    // Attached somewhere: marked for removal until the last detach. Else gone.
    SysStatus remove_anchor(int shmid) override;
    SysResult<std::vector<AnchorInfo>> list_anchors() override;
    SysResult<std::vector<unsigned char>> read_anchor(int shmid, size_t bytes) override;
    // Counts, and runs the hook set by on_pause (what happens meanwhile).
    void pause(int milliseconds) override;
    void on_pause(std::function<void()> hook) { pause_hook_ = std::move(hook); }
    int pauses() const { return pauses_; }

    // ---- the process table -------------------------------------------------
    // A running process attached to nothing (replaces whatever had that pid).
    void add_process(pid_t pid, uint64_t start_ticks);
    // fork(): the child runs and inherits every anchor attachment of the parent.
    void fork_process(pid_t parent, pid_t child, uint64_t start_ticks);
    // exit(): detaches its anchors (dtime = now) and stays a zombie until removed.
    void zombify(pid_t pid);
    // Reaped (or never there): Absent. A running process exits first.
    void remove_process(pid_t pid);
    // This process now has another pid (httpd's parent detaching, for one).
    void set_self(pid_t pid, uint64_t start_ticks);
    void set_effective_uid(uid_t euid) { euid_ = euid; }
    void set_boot_id(std::string id) { boot_id_ = std::move(id); }

    // ---- anchors ------------------------------------------------------------
    // shmat / shmdt by a process; dtime is set on every detach, like shm_close().
    SysStatus attach_anchor(int shmid, pid_t pid);
    SysStatus detach_anchor(int shmid, pid_t pid);
    // IPC_SET from outside (root): ctime = now, owner/mode as given.
    SysStatus change_anchor(int shmid, uid_t uid, unsigned mode);
    // How a process in another PID namespace sees the creator (0: unmappable).
    SysStatus set_anchor_creator_view(int shmid, pid_t creator);

    void fail_next(Op op, int error_code) { faults_.fail_next(op, error_code); }
    int calls(Op op) const { return faults_.calls(op); }

    TestClock& clock() { return *clock_; }

private:
    struct Process {
        uint64_t start_ticks = 0;
        bool zombie = false;
        pid_t parent = 0;
    };
    struct Anchor {
        AnchorInfo info;
        std::multiset<pid_t> attached_by;  // one entry per attachment
        std::vector<char> memory;          // zero-filled like a new segment
    };

    Anchor* anchor_at(int shmid);
    void detach_all(pid_t pid);
    void destroy_if_released(int shmid);
    AnchorInfo snapshot(const Anchor& anchor) const;

    std::shared_ptr<TestClock> clock_;
    pid_t self_;
    uid_t euid_ = 0;
    std::string boot_id_ = "6a1f0c52-3b7e-4d0a-9e55-0c3f2d1b8a47";
    std::map<pid_t, Process> processes_;
    FakeIpcIds anchor_ids_;
    std::map<int, Anchor> anchors_;  // by shmid
    FakeFaults<Op> faults_;
    std::function<void()> pause_hook_;
    uint64_t ipc_ns_ = 4026531839u;
    int pauses_ = 0;
};

}  // namespace semguard
