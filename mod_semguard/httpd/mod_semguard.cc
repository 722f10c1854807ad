// mod_semguard: SysV semaphore headroom, reclaim, guard and status for httpd.
// This file only declares the module; each part of the glue has its own file.
#include "mod_semguard.h"

#include "lifecycle_hooks.h"
#include "module_config.h"
#include "status_handler.h"

namespace {

void register_hooks(apr_pool_t* p) {
    semguard::glue::register_lifecycle_hooks(p);
    semguard::glue::register_status_hooks(p);
}

}  // namespace

extern "C" {
module AP_MODULE_DECLARE_DATA semguard_module = {
    STANDARD20_MODULE_STUFF,
    nullptr,                               // per-directory config
    nullptr,                               // merge per-directory config
    semguard::glue::create_server_config,  // per-server config
    semguard::glue::merge_server_config,   // merge per-server config
    semguard::glue::kCommands,             // directives
    register_hooks,
#if defined(AP_MODULE_FLAG_ALWAYS_MERGE)
    AP_MODULE_FLAG_NONE
#endif
};
}
