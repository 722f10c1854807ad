// Real SysV IPC for the Linux contract tests, playing the other programs on the
// machine. Every helper that creates or changes anything refuses to act unless
// this process is in an IPC namespace it made itself with
// enter_private_ipc_namespace(): the host's semaphores are never touched.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "kernel/sem_kernel.h"
#include "kernel/sys_result.h"

namespace semguard {

// unshare(CLONE_NEWIPC), then proof that it worked: the namespace inode changed
// and the new namespace holds no semaphore set and no shared-memory segment.
// Each call gives a fresh, empty namespace; the previous one (and whatever it
// held) goes away when its last process leaves it.
SysStatus enter_private_ipc_namespace();
// True while this process is still in the namespace the last call made.
bool in_private_ipc_namespace();

// Writes "SEMMSL SEMMNS SEMOPM SEMMNI" to /proc/sys/kernel/sem (of this namespace).
SysStatus write_sem_limits(long semmsl, long semmns, long semopm, long semmni);

// semget(key, nsems, IPC_CREAT | IPC_EXCL | mode).
SysResult<int> real_create_set(int32_t key, unsigned long nsems, unsigned mode);
// semctl(SETVAL) from this process.
SysStatus real_setval(int semid, unsigned long semnum, int value);
// GETNCNT (want_zero false) or GETZCNT straight from the kernel, for waiting until
// a blocked child is really queued.
SysResult<int> real_waiters(int semid, unsigned long semnum, bool want_zero);

// The sets as /proc/sysvipc/sem lists them: the source ipcs and lsipc read, and
// independent of the semctl calls LinuxSemKernel makes.
SysResult<std::vector<SetInfo>> proc_sysvipc_sets();

// Runs a command through /bin/sh and returns its standard output.
SysResult<std::string> command_output(const std::string& command);

}  // namespace semguard
