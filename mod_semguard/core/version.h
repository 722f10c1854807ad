// The module's version, defined here only: the status page, ?json
// (module.version), the SG0101 summary and the CMake project read it.
#pragma once

namespace semguard {

constexpr const char* kModuleVersion = "0.1.0";

}  // namespace semguard
