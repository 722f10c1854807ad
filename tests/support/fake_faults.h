// Failure injection and call counting for the fakes: "the next call of this
// operation fails with this errno", queued per operation, consumed in order.
#pragma once

#include <cerrno>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "kernel/sys_result.h"

namespace semguard {

template <class Op>
class FakeFaults {
public:
    void fail_next(Op op, int error_code) { planned_[op].push_back(error_code); }
    int calls(Op op) const {
        auto it = calls_.find(op);
        return it == calls_.end() ? 0 : it->second;
    }

    // Counts the call; when a failure is planned for it, returns the error the
    // real call would: errno set, then captured by sys_error_now like any failure.
    std::optional<SysError> on_call(Op op, const std::string& call) {
        ++calls_[op];
        auto it = planned_.find(op);
        if (it == planned_.end() || it->second.empty()) return std::nullopt;
        const int code = it->second.front();
        it->second.pop_front();
        errno = code;
        return sys_error_now(call);
    }

private:
    std::map<Op, std::deque<int>> planned_;
    std::map<Op, int> calls_;
};

}  // namespace semguard
