// Where RunMemory lives between configuration passes: httpd unloads and reloads
// the module at every restart, so the pointer is kept in ap_retained_data (the
// process pool), guarded by a layout stamp in case a different build is loaded.
#pragma once

#include "run/lifecycle.h"

namespace semguard {
namespace glue {

RunMemory& run_memory();

}  // namespace glue
}  // namespace semguard
