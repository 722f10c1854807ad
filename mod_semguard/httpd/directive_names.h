// Directive names, kept as constants: the command table, the error messages
// and the test that checks conf/semguard.conf and the README all use these.
#pragma once

namespace semguard {
namespace directive {
constexpr const char* kStateFile = "SemGuardStateFile";
constexpr const char* kReclaim = "SemGuardReclaim";
constexpr const char* kWarnAt = "SemGuardWarnAt";
constexpr const char* kRefuseStart = "SemGuardRefuseStart";
constexpr const char* kProtect = "SemGuardProtect";
}  // namespace directive

// The handler name for `SetHandler`.
constexpr const char* kStatusHandler = "semguard-status";
}  // namespace semguard
