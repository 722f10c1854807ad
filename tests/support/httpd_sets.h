// What httpd does to the fake kernel, shared by the engine's tests.
#pragma once

#include <sys/types.h>

#include <gtest/gtest.h>

#include "fake_kernel.h"

namespace semguard::test {

// One sysvsem mutex as APR and httpd make it, in process `pid`:
// semget(IPC_PRIVATE, 1, 0600) by root, SETVAL 1, then IPC_SET to User and
// Group (ap_unixd_set_proc_mutex_perms; 33 is Debian's www-data). Returns the id.
inline int httpd_creates_set(FakeSemKernel& kernel, pid_t pid, uid_t user = 33, gid_t group = 33) {
    auto id = kernel.create_set(0, 1, 0600, 0, 0, 0, 0, pid);
    EXPECT_TRUE(id.ok());
    EXPECT_TRUE(kernel.set_value(*id, 0, 1, pid).ok());
    EXPECT_TRUE(kernel.set_owner(*id, user, group, 0600).ok());
    return *id;
}

}  // namespace semguard::test
