// The module's configuration (main server only) and its command table.
#pragma once

#include "httpd.h"
#include "http_config.h"

namespace semguard {
namespace glue {

struct ServerConfig {
    const char* state_file = nullptr;  // as configured, ServerRoot-relative; nullptr = default
    int reclaim = -1;                  // -1 unset, else ReclaimMode
    int warn_at = -1;                  // -1 unset, else 1..100
    int refuse_start = -1;             // -1 unset, 0/1
    int protect = -1;                  // -1 unset, 0/1
};

extern const command_rec kCommands[];

void* create_server_config(apr_pool_t* p, server_rec* s);
void* merge_server_config(apr_pool_t* p, void* base, void* add);

ServerConfig* config_of(server_rec* s);

}  // namespace glue
}  // namespace semguard
