// The fixture of the one contract suite. Each test gets a fresh world: for
// Linux that is a fresh private IPC namespace, and a world that cannot be had
// fails the test in SetUp (it is never skipped).
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <ostream>
#include <string>

#include "kernel_world.h"

namespace semguard {

inline void PrintTo(const WorldFactory& factory, std::ostream* out) { *out << factory.name; }

inline ::testing::AssertionResult Ok(const SysStatus& status) {
    if (status) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << status.error().describe();
}

template <class T>
::testing::AssertionResult Ok(const SysResult<T>& result) {
    if (result) return ::testing::AssertionSuccess();
    return ::testing::AssertionFailure() << result.error().describe();
}

// The index part of a SysV id (ids are seq * 32768 + index).
inline int index_of(int id) { return id % 32768; }

class KernelContract : public ::testing::TestWithParam<WorldFactory> {
protected:
    void SetUp() override {
        std::string why_not;
        world_ = GetParam().make(&why_not);
        ASSERT_NE(world_, nullptr) << why_not;
    }

    KernelWorld& world() { return *world_; }
    SemKernel& kernel() { return world_->kernel(); }
    RunProbe& probe() { return world_->probe(); }

    // ASSERT_TRUE(create(&id)) - creates a set the way another program would.
    ::testing::AssertionResult create(int* id, unsigned long nsems = 1, unsigned mode = 0600,
                                      int32_t key = 0) {
        SysResult<int> created = world_->create_set(key, nsems, mode);
        if (!created) return ::testing::AssertionFailure() << created.error().describe();
        *id = *created;
        return ::testing::AssertionSuccess();
    }

private:
    std::unique_ptr<KernelWorld> world_;
};

}  // namespace semguard
