#include "diagnosis/sysv_usable.h"

#include <cerrno>

namespace semguard {

SysvUsability check_sysv_usable(SemKernel& kernel, const std::vector<MutexConfig>& mutexes,
                                const std::vector<std::string>& alternatives) {
    SysvUsability u;
    std::string types;
    for (const auto& m : mutexes) {
        if (m.type == "default" || !m.sysv()) continue;
        types += (types.empty() ? "" : ", ") + m.type;
    }
    if (types.empty()) return u;
    u.checked = true;
    const SysStatus probe = kernel.probe_create();
    if (probe.ok()) return u;
    const int code = probe.error().code;
    // At a limit semget fails with ENOSPC (ENOMEM without memory): the headroom
    // check explains that one, with the numbers.
    if (code == ENOSPC || code == ENOMEM) return u;
    u.usable = false;
    u.error_code = code;
    std::string remedy;
    for (const auto& a : alternatives)
        remedy += (remedy.empty() ? "" : ", or ") + std::string("`Mutex ") + a + " default`";
    u.failure =
        "SysV semaphores cannot be used here: a test semget() failed with " +
        probe.error().describe() +
        (code == EOPNOTSUPP || code == ENOSYS
             ? " (the kernel or an emulator such as qemu-user does not offer them)"
         : code == EPERM || code == EACCES ? " (a seccomp profile or security policy forbids them)"
                                           : std::string()) +
        "; httpd will stop with \"AH00023: Couldn't create the ... mutex\" for the "
        "sysvsem mutexes (" +
        types + "). Remedy: use " +
        (remedy.empty() ? std::string("a Mutex mechanism other than sysvsem") : remedy) +
        " instead of sysvsem";
    return u;
}

}  // namespace semguard
