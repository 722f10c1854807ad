// The semguard-status handler, and a section in mod_status's /server-status.
#pragma once

#include "httpd.h"

namespace semguard {
namespace glue {

void register_status_hooks(apr_pool_t* p);

}  // namespace glue
}  // namespace semguard
