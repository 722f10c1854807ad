#include "run_memory_store.h"

#include <cstring>

#include "httpd.h"
#include "http_config.h"

namespace semguard {
namespace glue {

namespace {

constexpr const char* kRetainedKey = "mod_semguard:run-memory";
// Changes whenever RunMemory's layout may change: a newer module build loaded by
// a graceful restart starts afresh instead of reading an old layout.
constexpr const char* kLayoutStamp = "mod_semguard run memory v1 " __DATE__ " " __TIME__;

struct Retained {
    char stamp[96];
    RunMemory* memory;
};

}  // namespace

RunMemory& run_memory() {
    auto* r = static_cast<Retained*>(ap_retained_data_get(kRetainedKey));
    if (!r) r = static_cast<Retained*>(ap_retained_data_create(kRetainedKey, sizeof(Retained)));
    if (!r->memory || std::strncmp(r->stamp, kLayoutStamp, sizeof r->stamp) != 0) {
        // The old block, if any, is left alone: its layout is not ours to free.
        r->memory = new RunMemory();
        std::strncpy(r->stamp, kLayoutStamp, sizeof r->stamp - 1);
        r->stamp[sizeof r->stamp - 1] = '\0';
    }
    return *r->memory;
}

}  // namespace glue
}  // namespace semguard
