// The start-time diagnosis of issue #12, as the glue runs it: unusable SysV
// semaphores (before any mutex is created), logind's RemoveIPC, and httpd 2.2's
// lock directives. The decisions are in core/diagnosis and core/config.
#pragma once

#include "httpd.h"
#include "http_config.h"
#include "log/logger.h"
#include "run/lifecycle.h"

namespace semguard {
namespace glue {

// Probes semget when a mutex uses sysvsem; logs SG0133 when it cannot work.
// Returns true when the pass must stop (SemGuardRefuseStart On, SG0112 logged).
bool sysv_unusable_stops_pass(const PassInput& in, SemKernel& kernel, Logger& log);

// Logs SG0130/SG0131/SG0132 in a real pass and keeps the verdict for the page.
void diagnose_removeipc(const PassInput& in, RunMemory& mem, Logger& log);

// The command handler of every legacy lock directive (cmd->info: its name).
const char* set_legacy_lock(cmd_parms* cmd, void* dummy, const char* arg);

}  // namespace glue
}  // namespace semguard
