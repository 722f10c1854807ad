#include "module_config.h"

#include <new>

#include "apr_strings.h"

#include "diagnosis_glue.h"
#include "directive_names.h"
#include "config/directive_values.h"
#include "http_log.h"
#include "mod_semguard.h"

namespace semguard {
namespace glue {

namespace {

// Every directive is server-wide: the sets belong to the whole instance.
const char* global_only(cmd_parms* cmd) { return ap_check_cmd_context(cmd, GLOBAL_ONLY); }

const char* to_error(apr_pool_t* p, const std::string& err) {
    return err.empty() ? nullptr : apr_pstrdup(p, err.c_str());
}

const char* set_state_file(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = global_only(cmd)) return err;
    std::string error;
    if (!valid_state_file_value(arg, error))
        return to_error(cmd->pool, std::string(directive::kStateFile) + " " + error);
    config_of(cmd->server)->state_file = apr_pstrdup(cmd->pool, arg);
    return nullptr;
}

const char* set_reclaim(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = global_only(cmd)) return err;
    ReclaimMode mode;
    std::string error;
    if (!parse_reclaim_mode(arg, mode, error))
        return to_error(cmd->pool, std::string(directive::kReclaim) + " " + error);
    config_of(cmd->server)->reclaim = static_cast<int>(mode);
    return nullptr;
}

const char* set_warn_at(cmd_parms* cmd, void*, const char* arg) {
    if (const char* err = global_only(cmd)) return err;
    int value = 0;
    std::string error;
    if (!parse_percent(arg, value, error))
        return to_error(cmd->pool, std::string(directive::kWarnAt) + " " + error);
    config_of(cmd->server)->warn_at = value;
    return nullptr;
}

const char* set_on_off(cmd_parms* cmd, const char* name, const char* arg, int& out) {
    if (const char* err = global_only(cmd)) return err;
    bool on = false;
    std::string error;
    if (!parse_on_off(arg, on, error)) return to_error(cmd->pool, std::string(name) + " " + error);
    out = on ? 1 : 0;
    return nullptr;
}

const char* set_refuse_start(cmd_parms* cmd, void*, const char* arg) {
    return set_on_off(cmd, directive::kRefuseStart, arg, config_of(cmd->server)->refuse_start);
}

const char* set_protect(cmd_parms* cmd, void*, const char* arg) {
    return set_on_off(cmd, directive::kProtect, arg, config_of(cmd->server)->protect);
}

}  // namespace

// httpd's command table stores every handler as cmd_func, a function without
// parameters when compiled as C++; it casts back by the table's arg type. The
// cast is the documented way to fill it, so its warning is silenced here only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wcast-function-type"
const command_rec kCommands[] = {
    AP_INIT_TAKE1(directive::kStateFile, reinterpret_cast<cmd_func>(set_state_file), nullptr,
                  RSRC_CONF,
                  "Path of the state file recording this server's semaphore sets "
                  "(default: DefaultRuntimeDir/semguard.<instance>.state)"),
    AP_INIT_TAKE1(directive::kReclaim, reinterpret_cast<cmd_func>(set_reclaim), nullptr, RSRC_CONF,
                  "On|Off|DryRun: remove this server's own stale sets after a crash (default On)"),
    AP_INIT_TAKE1(directive::kWarnAt, reinterpret_cast<cmd_func>(set_warn_at), nullptr, RSRC_CONF,
                  "Percent of SEMMNI/SEMMNS in use after start that triggers a warning, "
                  "1-100 (default 80)"),
    AP_INIT_TAKE1(directive::kRefuseStart, reinterpret_cast<cmd_func>(set_refuse_start), nullptr,
                  RSRC_CONF,
                  "On|Off: stop the start when the semaphore limits cannot hold this "
                  "configuration (default Off)"),
    AP_INIT_TAKE1(directive::kProtect, reinterpret_cast<cmd_func>(set_protect), nullptr, RSRC_CONF,
                  "On|Off: re-own each set to root:Group mode 0660 so that User cannot remove "
                  "it (default Off)"),
// httpd 2.2's lock directives, which 2.4 rejects: applied as the 2.4 Mutex
// line through core's own Mutex handling, with a warning (SG0134).
#define SEMGUARD_LEGACY(name, what)                                                           \
    AP_INIT_TAKE1(name, reinterpret_cast<cmd_func>(set_legacy_lock), const_cast<char*>(name), \
                  RSRC_CONF, "httpd 2.2 directive, applied as the 2.4 Mutex line: " what)
    SEMGUARD_LEGACY("AcceptMutex", "Mutex <mechanism> mpm-accept"),
    SEMGUARD_LEGACY("LockFile", "Mutex default:<directory> mpm-accept"),
    SEMGUARD_LEGACY("SSLMutex", "Mutex <mechanism> ssl-cache (sem: sysvsem)"),
    SEMGUARD_LEGACY("SSLStaplingMutex", "Mutex <mechanism> ssl-stapling"),
    SEMGUARD_LEGACY("RewriteLock", "Mutex default:<directory> rewrite-map"),
    SEMGUARD_LEGACY("WatchdogMutexPath", "Mutex default:<directory> watchdog-callback"),
#undef SEMGUARD_LEGACY
    {nullptr, {nullptr}, nullptr, 0, RAW_ARGS, nullptr},
};
#pragma GCC diagnostic pop

void* create_server_config(apr_pool_t* p, server_rec*) {
    void* mem = apr_pcalloc(p, sizeof(ServerConfig));
    return new (mem) ServerConfig();  // trivially destructible: the pool frees it
}

void* merge_server_config(apr_pool_t*, void* base, void*) {
    // GLOBAL_ONLY: virtual hosts cannot set anything, so they share the main one.
    return base;
}

ServerConfig* config_of(server_rec* s) {
    return static_cast<ServerConfig*>(ap_get_module_config(s->module_config, &semguard_module));
}

}  // namespace glue
}  // namespace semguard
