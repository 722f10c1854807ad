// The contract world on the real kernel. Safety: every world first moves this
// process into a brand-new IPC namespace of its own (unshare(CLONE_NEWIPC)) and
// proves it - the namespace inode changed and it holds no object - or refuses
// to exist, which fails the test. This does not depend on how the binary was
// started: ctest runs it under `unshare --ipc --pid --fork --mount-proc`, but
// a bare `semguard_contract --gtest_filter=Linux/*` is just as safe. A
// comparison with "the host's" namespace could not be made from inside a PID
// namespace (no outside process is visible), and the initial namespace's fixed
// inode says nothing inside a container; a namespace we created ourselves
// needs no such comparison. A fresh namespace per test also isolates the tests
// from one another (limits written, ids consumed, sets left over).
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "kernel_world.h"
#include "kernel/linux_kernel.h"
#include "real_ipc.h"
#include "real_process.h"

namespace semguard {

namespace {

class LinuxChild : public OtherProcess {
public:
    explicit LinuxChild(std::unique_ptr<ChildProcess> child) : child_(std::move(child)) {}
    pid_t pid() const override { return child_->pid(); }
    SysStatus exit_unreaped() override { return child_->release_and_wait_zombie(); }
    SysStatus reap() override {
        SysResult<int> status = child_->reap();
        if (!status) return status.error();
        return {};
    }

private:
    std::unique_ptr<ChildProcess> child_;  // kills and reaps in its destructor
};

// A blocked waiter is ended by SIGKILL: semop only returns when it gets its way.
class LinuxWaiter : public OtherProcess {
public:
    explicit LinuxWaiter(std::unique_ptr<ChildProcess> child) : child_(std::move(child)) {}
    pid_t pid() const override { return child_->pid(); }
    SysStatus exit_unreaped() override { return child_->kill_and_reap(); }
    SysStatus reap() override { return child_->kill_and_reap(); }

private:
    std::unique_ptr<ChildProcess> child_;
};

class LinuxWorld : public KernelWorld {
public:
    SemKernel& kernel() override { return kernel_; }
    RunProbe& probe() override { return probe_; }

    int64_t now() override { return static_cast<int64_t>(::time(nullptr)); }
    void next_second() override {
        const int64_t start = now();
        while (now() == start) std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }

    SysStatus set_limits(long semmsl, long semmns, long semopm, long semmni) override {
        return write_sem_limits(semmsl, semmns, semopm, semmni);
    }
    SysResult<int> create_set(int32_t key, unsigned long nsems, unsigned mode) override {
        return real_create_set(key, nsems, mode);
    }
    gid_t egid() override { return ::getegid(); }
    SysStatus setval(int semid, unsigned long semnum, int value) override {
        return real_setval(semid, semnum, value);
    }

    SysResult<pid_t> semop_by_other(int semid, unsigned long semnum, int delta) override {
        if (!in_private_ipc_namespace()) return refused("semop");
        SysResult<std::unique_ptr<ChildProcess>> child = ChildProcess::start([=] {
            struct sembuf op {};
            op.sem_num = static_cast<unsigned short>(semnum);
            op.sem_op = static_cast<short>(delta);
            op.sem_flg = IPC_NOWAIT;
            return ::semop(semid, &op, 1) == 0 ? 0 : 1;
        });
        if (!child) return child.error();
        const pid_t pid = (*child)->pid();
        SysResult<int> status = (*child)->reap();
        if (!status) return status.error();
        if (*status != 0) return failed(EAGAIN, "semop in child " + std::to_string(pid));
        return pid;
    }

    SysResult<std::unique_ptr<OtherProcess>> block_in_semop(int semid, unsigned long semnum,
                                                            int delta) override {
        if (!in_private_ipc_namespace()) return refused("semop");
        const bool for_zero = delta == 0;
        SysResult<int> before = real_waiters(semid, semnum, for_zero);
        if (!before) return before.error();
        SysResult<std::unique_ptr<ChildProcess>> child = ChildProcess::start([=] {
            struct sembuf op {};
            op.sem_num = static_cast<unsigned short>(semnum);
            op.sem_op = static_cast<short>(delta);
            op.sem_flg = 0;  // block
            ::semop(semid, &op, 1);
            return 0;
        });
        if (!child) return child.error();
        auto waiter = std::make_unique<LinuxWaiter>(std::move(child.value()));
        // Queued once the kernel counts one more waiter; give up after 10 s.
        for (int tries = 0; tries < 1000; ++tries) {
            SysResult<int> count = real_waiters(semid, semnum, for_zero);
            if (!count) return count.error();
            if (*count > *before) return std::unique_ptr<OtherProcess>(std::move(waiter));
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        }
        return failed(ETIMEDOUT, "waiting for a child to block in semop");
    }

    SysResult<std::unique_ptr<OtherProcess>> fork_child() override {
        SysResult<std::unique_ptr<ChildProcess>> child = ChildProcess::start_idle();
        if (!child) return child.error();
        auto other = std::make_unique<LinuxChild>(std::move(child.value()));
        return std::unique_ptr<OtherProcess>(std::move(other));
    }

    SysStatus detach(const AnchorMapping& mapping) override {
        if (::shmdt(mapping.address) < 0) return sys_error_now("shmdt()");
        return {};
    }

private:
    static SysError failed(int code, std::string what) {
        SysError error;
        error.code = code;
        error.call = std::move(what);
        return error;
    }
    static SysError refused(const std::string& what) {
        return failed(EPERM, what + ": refused outside a private IPC namespace");
    }

    LinuxSemKernel kernel_;
    LinuxRunProbe probe_;
};

}  // namespace

WorldFactory linux_world_factory() {
    return WorldFactory{"Linux", [](std::string* why_not) -> std::unique_ptr<KernelWorld> {
                            SysStatus entered = enter_private_ipc_namespace();
                            if (!entered) {
                                *why_not =
                                    "the real kernel is only tested inside a private IPC "
                                    "namespace, and none could be made: " +
                                    entered.error().describe();
                                return nullptr;
                            }
                            return std::make_unique<LinuxWorld>();
                        }};
}

}  // namespace semguard
