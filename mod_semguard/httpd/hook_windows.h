// Which modules' hooks ran between two of our snapshots, read from httpd's
// sorted hook arrays. This is what lets the engine name a set's mutex type only
// when a single module could have created it.
#pragma once

#include <vector>

#include "httpd.h"
#include "http_config.h"
#include "mutex/mutex_knowledge.h"

namespace semguard {
namespace glue {

// open_logs hooks strictly between `first` and `second` (both ours).
std::vector<WindowHook> open_logs_between(ap_HOOK_open_logs_t* first, ap_HOOK_open_logs_t* second);
// open_logs hooks after `after`, then post_config hooks before `until`.
std::vector<WindowHook> hooks_after_until(ap_HOOK_open_logs_t* after, ap_HOOK_post_config_t* until);

}  // namespace glue
}  // namespace semguard
