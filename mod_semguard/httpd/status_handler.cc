#include "status_handler.h"

void semguard::glue::register_status_hooks(apr_pool_t*) {}
