// The one result type of the engine: a value, or the error that prevented it.
// A syscall's result carries a SysError (kernel/sys_result.h), the decoder's a
// DecodeError (record/record_codec.h); both are this template.
#pragma once

#include <optional>
#include <utility>

namespace semguard {

template <class T, class E>
class Result {
public:
    Result(T value) : value_(std::move(value)) {}
    Result(E error) : error_(std::move(error)) {}

    bool ok() const { return value_.has_value(); }
    explicit operator bool() const { return ok(); }
    const T& value() const { return *value_; }
    T& value() { return *value_; }
    const T& operator*() const { return *value_; }
    const T* operator->() const { return &*value_; }
    const E& error() const { return error_; }

private:
    std::optional<T> value_;
    E error_;
};

}  // namespace semguard
