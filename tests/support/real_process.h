// Forked children of a test process: other processes of a "run", waiters on a
// semaphore, zombies. A child never returns into the test framework: it runs
// its body and _exit()s. Whatever is still unreaped when the handle dies is
// killed and reaped, so no test leaves a process behind.
#pragma once

#include <sys/types.h>

#include <functional>
#include <memory>

#include "kernel/sys_result.h"

namespace semguard {

class ChildProcess {
public:
    // A child that does nothing until release() (or the handle's end), then exits 0.
    static SysResult<std::unique_ptr<ChildProcess>> start_idle();
    // A child that runs `body` and exits with its return value.
    static SysResult<std::unique_ptr<ChildProcess>> start(const std::function<int()>& body);

    ~ChildProcess();
    ChildProcess(const ChildProcess&) = delete;
    ChildProcess& operator=(const ChildProcess&) = delete;

    pid_t pid() const { return pid_; }

    // Lets an idle child exit and returns once it is a zombie; it stays unreaped.
    SysStatus release_and_wait_zombie();
    // Waits for the child to end and collects it; returns its exit status.
    SysResult<int> reap();
    // SIGKILL, then reap.
    SysStatus kill_and_reap();

private:
    ChildProcess(pid_t pid, int release_fd) : pid_(pid), release_fd_(release_fd) {}
    void close_release_fd();

    pid_t pid_;
    int release_fd_;  // write end of the pipe the idle child reads; -1 when none
    bool reaped_ = false;
};

}  // namespace semguard
