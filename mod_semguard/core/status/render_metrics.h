// ?metrics: the Prometheus text exposition format 0.0.4 (Content-Type
// "text/plain; version=0.0.4; charset=utf-8"), so the status can be scraped
// directly. Every family has # HELP and # TYPE, its samples are contiguous, no
// series appears twice, and label values are escaped and valid UTF-8; the result
// passes `promtool check metrics`.
//
// Families (gauges unless marked):
//   semguard_up                                   1 if the kernel's state could be read
//   semguard_info{server_name,version,mpm}        1
//   semguard_generation, semguard_start_time_seconds
//   semguard_kernel_arrays_limit / _arrays_used / _semaphores_limit / _semaphores_used,
//   semguard_kernel_semaphores_per_array_limit, semguard_kernel_semop_operations_limit,
//   semguard_kernel_semaphore_value_limit         (only when semguard_up is 1)
//   semguard_projected_arrays, semguard_projected_semaphores
//   semguard_headroom_warn_percent
//   semguard_headroom_state{state}                1 for the current state, 0 for the others
//   semguard_mutex_info{type,mechanism}           1
//   semguard_protection_enabled
//   semguard_set_present{semid,type}              0: recorded, but missing or replaced
//   semguard_set_protected{semid,type}
//   semguard_set_last_operation_timestamp_seconds{semid,type}
//   semguard_set_value{semid,type,sem}            1 = free, 0 = held
//   semguard_set_waiters{semid,type,sem}
//   semguard_startup_reclaimed_sets, semguard_startup_would_reclaim_sets,
//   semguard_startup_kept_sets                    what this start did
//   semguard_reclaimed_sets_total, semguard_kept_sets_total   (counters)
//   semguard_lookalike_sets
//   semguard_owner_sets{owner}, semguard_owner_semaphores{owner}
//                                                 SysV use by owner (top 10 + "others")
//   semguard_removeipc_risk                       1 when logind's RemoveIPC can remove the sets
//   semguard_restart_growth_sets{module}          left behind at the last graceful restart
//   semguard_removed_outside_sets                 sets of this run removed from outside
#pragma once

#include <string>

#include "status/render_options.h"
#include "status/status_model.h"

namespace semguard {

// Returns "" only if memory ran out.
std::string render_metrics(const StatusModel& model, const RenderOptions& options) noexcept;

}  // namespace semguard
