// Syscall outcomes as values: errno is captured at the call site, never read later.
#pragma once

#include <cerrno>
#include <optional>
#include <string>
#include <utility>

#include "result.h"

namespace semguard {

struct SysError {
    int code = 0;      // errno as captured right after the failing call
    std::string call;  // e.g. "semctl(IPC_STAT, 98304)"

    std::string describe() const;  // "(28) No space left on device: semget(...)"
};

// Captures errno immediately; use as `return SysError::now("semctl(...)")`.
SysError sys_error_now(std::string call);

template <class T>
using SysResult = Result<T, SysError>;

class SysStatus {
public:
    SysStatus() = default;
    SysStatus(SysError error) : failed_(true), error_(std::move(error)) {}
    bool ok() const { return !failed_; }
    explicit operator bool() const { return ok(); }
    const SysError& error() const { return error_; }

private:
    bool failed_ = false;
    SysError error_;
};

}  // namespace semguard
