// What the contract suite runs against: a SemKernel and a RunProbe, plus the
// rest of the world they observe - other programs creating and using sets,
// child processes, the clock. One implementation drives the fakes, the other
// the real kernel inside a private IPC namespace; the tests cannot tell which.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kernel/run_probe.h"
#include "kernel/sem_kernel.h"
#include "kernel/sys_result.h"

namespace semguard {

// A process other than the test itself, alive until exited or the handle dies.
class OtherProcess {
public:
    virtual ~OtherProcess() = default;  // kills and reaps what is left of it
    virtual pid_t pid() const = 0;
    // The process exits by itself; it stays a zombie until reap().
    virtual SysStatus exit_unreaped() = 0;
    virtual SysStatus reap() = 0;
};

class KernelWorld {
public:
    virtual ~KernelWorld() = default;

    virtual SemKernel& kernel() = 0;
    virtual RunProbe& probe() = 0;

    // The wall clock ctime, otime and dtime are stamped with.
    virtual int64_t now() = 0;
    // Returns once now() has moved on by at least one second.
    virtual void next_second() = 0;

    // "SEMMSL SEMMNS SEMOPM SEMMNI", as written to /proc/sys/kernel/sem.
    virtual SysStatus set_limits(long semmsl, long semmns, long semopm, long semmni) = 0;
    // semget(key, nsems, IPC_CREAT | IPC_EXCL | mode) by a program running with
    // the test's effective ids (probe().effective_uid(), egid()).
    virtual SysResult<int> create_set(int32_t key, unsigned long nsems, unsigned mode) = 0;
    virtual gid_t egid() = 0;
    // semctl(SETVAL) by this process.
    virtual SysStatus setval(int semid, unsigned long semnum, int value) = 0;
    // Another process performs one non-blocking semop and exits; returns its pid.
    virtual SysResult<pid_t> semop_by_other(int semid, unsigned long semnum, int delta) = 0;
    // Another process blocks in semop: delta < 0 waits to decrement (GETNCNT),
    // delta 0 waits for zero (GETZCNT). Returns once it is queued.
    virtual SysResult<std::unique_ptr<OtherProcess>> block_in_semop(int semid, unsigned long semnum,
                                                                    int delta) = 0;

    // fork(): a running child that inherits this process's anchor attachments.
    virtual SysResult<std::unique_ptr<OtherProcess>> fork_child() = 0;
    // shmdt() of an anchor this process attached.
    virtual SysStatus detach(const AnchorMapping& mapping) = 0;
};

// How the suite gets a world: nullptr plus the reason when it cannot be had.
struct WorldFactory {
    std::string name;
    std::function<std::unique_ptr<KernelWorld>(std::string* why_not)> make;
};

WorldFactory fake_world_factory();
WorldFactory linux_world_factory();

}  // namespace semguard
