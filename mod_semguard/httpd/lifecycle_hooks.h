// The hooks that run the engine's lifecycle (lifecycle.h) inside httpd.
#pragma once

#include "httpd.h"
#include "http_config.h"

namespace semguard {
namespace glue {

void register_lifecycle_hooks(apr_pool_t* p);

}  // namespace glue
}  // namespace semguard
