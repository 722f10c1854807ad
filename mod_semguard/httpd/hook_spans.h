// Which modules' hooks ran between two of our snapshots (a "span"), read from
// httpd's sorted hook arrays. This is what lets the engine name a set's mutex
// type, or the module that made it, only when a single module could have.
#pragma once

#include <vector>

#include "httpd.h"
#include "http_config.h"
#include "mutex/mutex_knowledge.h"

namespace semguard {
namespace glue {

// open_logs hooks strictly between `first` and `second` (both ours).
std::vector<WindowHook> open_logs_between(ap_HOOK_open_logs_t* first, ap_HOOK_open_logs_t* second);

// The post_config spans: [0] = open_logs hooks after `after`, then post_config
// hooks before marks[0]; [i] = post_config hooks between marks[i-1] and marks[i];
// the last = from the last mark to `until`. Always marks.size() + 1 entries.
// Hooks of the module named `self` (ours) are left out.
std::vector<std::vector<WindowHook>> post_config_spans(
    ap_HOOK_open_logs_t* after, const std::vector<ap_HOOK_post_config_t*>& marks,
    ap_HOOK_post_config_t* until, const char* self);

}  // namespace glue
}  // namespace semguard
