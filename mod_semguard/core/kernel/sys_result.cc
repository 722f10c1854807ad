#include "kernel/sys_result.h"

#include <cstring>

namespace semguard {

SysError sys_error_now(std::string call) {
    SysError e;
    e.code = errno;  // first thing: nothing may run between the call and this read
    e.call = std::move(call);
    return e;
}

std::string SysError::describe() const {
    return "(" + std::to_string(code) + ")" + std::strerror(code) + ": " + call;
}

}  // namespace semguard
