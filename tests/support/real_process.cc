#include "real_process.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <string>

namespace semguard {

namespace {

// Everything above stderr except `keep` (-1: nothing).
void close_other_descriptors(int keep) {
    if (keep < 3) {
        ::close_range(3, ~0u, 0);
        return;
    }
    if (keep > 3) ::close_range(3, static_cast<unsigned>(keep) - 1, 0);
    ::close_range(static_cast<unsigned>(keep) + 1, ~0u, 0);
}

}  // namespace

SysResult<std::unique_ptr<ChildProcess>> ChildProcess::start_idle() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) < 0) return sys_error_now("pipe2()");
    const pid_t pid = ::fork();
    if (pid < 0) {
        SysError error = sys_error_now("fork()");
        ::close(fds[0]);
        ::close(fds[1]);
        return error;
    }
    if (pid == 0) {
        // Keep only the read end: a write end inherited by this or any later child
        // would keep another idle child from ever seeing EOF.
        ::close(fds[1]);
        close_other_descriptors(fds[0]);
        char byte;
        while (::read(fds[0], &byte, 1) < 0 && errno == EINTR) {
        }
        ::_exit(0);  // EOF: the parent released us
    }
    ::close(fds[0]);
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, fds[1]));
}

SysResult<std::unique_ptr<ChildProcess>> ChildProcess::start(const std::function<int()>& body) {
    const pid_t pid = ::fork();
    if (pid < 0) return sys_error_now("fork()");
    if (pid == 0) {
        close_other_descriptors(-1);
        ::_exit(body());
    }
    return std::unique_ptr<ChildProcess>(new ChildProcess(pid, -1));
}

ChildProcess::~ChildProcess() {
    close_release_fd();
    if (!reaped_) kill_and_reap();
}

void ChildProcess::close_release_fd() {
    if (release_fd_ >= 0) {
        ::close(release_fd_);
        release_fd_ = -1;
    }
}

SysStatus ChildProcess::release_and_wait_zombie() {
    close_release_fd();
    siginfo_t info{};
    // WNOWAIT: learn that it exited without collecting it.
    while (::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOWAIT) < 0) {
        if (errno != EINTR) return sys_error_now("waitid(" + std::to_string(pid_) + ", WNOWAIT)");
    }
    return {};
}

SysResult<int> ChildProcess::reap() {
    close_release_fd();
    int status = 0;
    while (::waitpid(pid_, &status, 0) < 0) {
        if (errno != EINTR) return sys_error_now("waitpid(" + std::to_string(pid_) + ")");
    }
    reaped_ = true;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

SysStatus ChildProcess::kill_and_reap() {
    if (reaped_) return {};
    ::kill(pid_, SIGKILL);  // fails harmlessly for a zombie
    SysResult<int> status = reap();
    if (!status) return status.error();
    return {};
}

}  // namespace semguard
