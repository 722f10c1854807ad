// Whether SysV semaphores can be used here at all. Under qemu-user emulation
// (amd64 images on ARM hosts) and some seccomp profiles semget() fails with
// EOPNOTSUPP, ENOSYS or EPERM, and httpd stops with "(95)Operation not
// supported: AH00023". A probe (one private set, removed at once) finds it
// before httpd tries, when a mutex of this configuration uses sysvsem.
#pragma once

#include <string>
#include <vector>

#include "kernel/sem_kernel.h"
#include "mutex/mutex_config.h"

namespace semguard {

struct SysvUsability {
    bool checked = false;  // some mutex uses sysvsem, so the probe ran
    bool usable = true;
    int error_code = 0;
    std::string failure;  // SG0133, "" when usable
};

// `alternatives`: what APR offers here besides sysvsem, best first.
SysvUsability check_sysv_usable(SemKernel& kernel, const std::vector<MutexConfig>& mutexes,
                                const std::vector<std::string>& alternatives);

}  // namespace semguard
