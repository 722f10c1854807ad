// The contract world made of FakeSemKernel and FakeRunProbe sharing one clock.
#include <utility>

#include "fake_kernel.h"
#include "kernel_world.h"

namespace semguard {

namespace {

constexpr gid_t kFakeEgid = 0;

class FakeChild : public OtherProcess {
public:
    FakeChild(FakeRunProbe& probe, pid_t pid) : probe_(probe), pid_(pid) {}
    ~FakeChild() override { probe_.remove_process(pid_); }
    pid_t pid() const override { return pid_; }
    SysStatus exit_unreaped() override {
        probe_.zombify(pid_);
        return {};
    }
    SysStatus reap() override {
        probe_.remove_process(pid_);
        return {};
    }

private:
    FakeRunProbe& probe_;
    pid_t pid_;
};

// A process blocked in semop: counted by GETNCNT/GETZCNT until it goes.
class FakeWaiter : public OtherProcess {
public:
    FakeWaiter(FakeSemKernel& kernel, int semid, unsigned long semnum, bool for_zero, pid_t pid)
        : kernel_(kernel), semid_(semid), semnum_(semnum), for_zero_(for_zero), pid_(pid) {}
    ~FakeWaiter() override { leave(); }
    pid_t pid() const override { return pid_; }
    SysStatus exit_unreaped() override { return leave(); }
    SysStatus reap() override { return leave(); }

    SysStatus join() {
        SysStatus joined = kernel_.add_waiter(semid_, semnum_, for_zero_);
        queued_ = joined.ok();
        return joined;
    }

private:
    SysStatus leave() {
        if (!queued_) return {};
        queued_ = false;
        // A set removed meanwhile took its queue along: nothing is left to leave.
        kernel_.remove_waiter(semid_, semnum_, for_zero_);
        return {};
    }

    FakeSemKernel& kernel_;
    int semid_;
    unsigned long semnum_;
    bool for_zero_;
    pid_t pid_;
    bool queued_ = false;
};

class FakeWorld : public KernelWorld {
public:
    FakeWorld() : clock_(std::make_shared<TestClock>()), kernel_(clock_), probe_(clock_) {}

    SemKernel& kernel() override { return kernel_; }
    RunProbe& probe() override { return probe_; }
    int64_t now() override { return clock_->now(); }
    void next_second() override { clock_->advance(1); }

    SysStatus set_limits(long semmsl, long semmns, long semopm, long semmni) override {
        kernel_.set_limits(semmsl, semmns, semopm, semmni);
        return {};
    }
    SysResult<int> create_set(int32_t key, unsigned long nsems, unsigned mode) override {
        const uid_t euid = probe_.effective_uid();
        return kernel_.create_set(key, nsems, mode, euid, kFakeEgid, euid, kFakeEgid, next_pid());
    }
    gid_t egid() override { return kFakeEgid; }
    SysStatus setval(int semid, unsigned long semnum, int value) override {
        return kernel_.set_value(semid, semnum, value, probe_.self_pid());
    }
    SysResult<pid_t> semop_by_other(int semid, unsigned long semnum, int delta) override {
        const pid_t pid = next_pid();
        SysStatus status = kernel_.semop(semid, semnum, delta, pid);
        if (!status) return status.error();
        return pid;
    }
    SysResult<std::unique_ptr<OtherProcess>> block_in_semop(int semid, unsigned long semnum,
                                                            int delta) override {
        auto waiter = std::make_unique<FakeWaiter>(kernel_, semid, semnum, delta == 0, next_pid());
        SysStatus joined = waiter->join();
        if (!joined) return joined.error();
        return std::unique_ptr<OtherProcess>(std::move(waiter));
    }
    SysResult<std::unique_ptr<OtherProcess>> fork_child() override {
        const pid_t pid = next_pid();
        // Started after this process, as every child is.
        probe_.fork_process(probe_.self_pid(), pid, FakeRunProbe::kDefaultSelfStart + pid);
        return std::unique_ptr<OtherProcess>(std::make_unique<FakeChild>(probe_, pid));
    }
    SysStatus detach(const AnchorMapping& mapping) override {
        return probe_.detach_anchor(mapping.info.shmid, probe_.self_pid());
    }

private:
    pid_t next_pid() { return next_pid_++; }

    std::shared_ptr<TestClock> clock_;
    FakeSemKernel kernel_;
    FakeRunProbe probe_;
    pid_t next_pid_ = 20000;
};

}  // namespace

WorldFactory fake_world_factory() {
    return WorldFactory{"Fake", [](std::string*) -> std::unique_ptr<KernelWorld> {
                            return std::make_unique<FakeWorld>();
                        }};
}

}  // namespace semguard
