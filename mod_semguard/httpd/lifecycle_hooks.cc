#include "lifecycle_hooks.h"

#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include <ctime>

#include "apr_strings.h"
#include "ap_mpm.h"
#include "diagnosis_glue.h"
#include "guarded.h"
#include "hook_windows.h"
#include "http_core.h"
#include "http_log.h"
#include "http_main.h"
#include "run/lifecycle.h"
#include "kernel/linux_kernel.h"
#include "log_adapter.h"
#include "module_config.h"
#include "run_memory_store.h"
#include "server_facts.h"
#include "record/state_file.h"

namespace semguard {
namespace glue {

namespace {

LinuxSemKernel g_kernel;
LinuxRunProbe g_probe;

int64_t wall_clock() { return static_cast<int64_t>(std::time(nullptr)); }

PassKind pass_kind() {
    if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_CREATE_PRE_CONFIG) return PassKind::Preflight;
    return ap_state_query(AP_SQ_CONFIG_GEN) <= 1 ? PassKind::FirstReal : PassKind::Restart;
}

GuardSettings settings_for(apr_pool_t* p, server_rec* s, const InstanceIdentity& id) {
    const ServerConfig* c = config_of(s);
    GuardSettings g;
    g.state_file = c->state_file ? ap_server_root_relative(p, c->state_file)
                                 : default_state_path(default_runtime_dir(p), id);
    if (c->reclaim >= 0) g.reclaim = static_cast<ReclaimMode>(c->reclaim);
    if (c->warn_at > 0) g.warn_at_percent = c->warn_at;
    g.refuse_start = c->refuse_start == 1;
    g.protect = c->protect == 1;
    return g;
}

// Rebuilt in every hook from httpd's state: nothing of the pass is kept in
// module statics, which a restart resets.
PassInput pass_input(apr_pool_t* p, server_rec* s) {
    PassInput in;
    in.kind = pass_kind();
    in.generation = ap_state_query(AP_SQ_CONFIG_GEN);
    in.now = wall_clock();
    in.instance = instance_identity(p);
    in.settings = settings_for(p, s, in.instance);
    MutexConfigResult mx = mutex_configuration(p, s);
    in.mutexes = mx.mutexes;
    in.facts = config_facts();
    in.alternatives = alternative_mechanisms();
    int daemons = 0;
    if (ap_mpm_query(AP_MPMQ_MAX_DAEMONS, &daemons) == APR_SUCCESS && daemons > 0)
        in.max_processes = daemons + 1;
    httpd_user(in.user_uid, in.group_gid, in.user_known);
    if (!mx.errors.empty() && in.kind != PassKind::Preflight)
        HttpdLogger(s).log(Level::Warn, tag::kMutexConfigUnread,
                           "could not understand httpd's mutex table line: " + mx.errors.front());
    return in;
}

// Registered on pconf, and not on the process pool: httpd unloads the module
// with pconf at every restart, so a cleanup in a longer-lived pool could call
// into unmapped code. A pre-cleanup runs before httpd's own cleanups remove the
// generation's sets, and while the module is still loaded.
apr_status_t generation_end_cleanup(void* data) {
    auto* s = static_cast<server_rec*>(data);
    guarded<int>(s, "shutdown check", 0, [&] {
        // A start that failed before core opened the error log never flushed:
        // say it now, to wherever httpd's own messages go.
        HttpdLogger direct(s);
        flush_deferred(run_memory().deferred, direct, /*log_open=*/false);
        if (ap_state_query(AP_SQ_MAIN_STATE) == AP_SQ_MS_EXITING) {
            HttpdLogger log(s);
            parent_exit(run_memory(), g_kernel, g_probe, log, wall_clock());
        } else {
            retire_generation(run_memory());
        }
        return 0;
    });
    return APR_SUCCESS;
}

// --- open_logs, before the MPM creates its accept mutexes ---------------------
int begin_pass_hook(apr_pool_t* pconf, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
    return guarded<int>(s, "startup check", OK, [&] {
        HttpdLogger direct(s);
        RunMemory& mem = run_memory();
        // Only the first pass of a start runs before any error log was opened
        // (core then puts the error log on stderr for the passes after it).
        const PassInput in = pass_input(ptemp, s);
        DeferringLogger log(direct, mem.deferred, in.kind == PassKind::Preflight);
        apr_pool_pre_cleanup_register(pconf, s, generation_end_cleanup);
        if (sysv_unusable_stops_pass(in, g_kernel, log)) return HTTP_INTERNAL_SERVER_ERROR;
        const PassVerdict verdict = begin_pass(in, mem, g_kernel, g_probe, log);
        diagnose_removeipc(in, mem, log);
        return verdict == PassVerdict::Refuse ? HTTP_INTERNAL_SERVER_ERROR : OK;
    });
}

// --- open_logs, right after the MPM's hook -----------------------------------
int after_mpm_hook(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
    return guarded<int>(s, "snapshot", OK, [&] {
        mark_after_mpm(run_memory(), g_kernel, pass_kind());
        return OK;
    });
}

// --- open_logs, right after core.c opened the error logs ---------------------
int after_core_hook(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
    return guarded<int>(s, "startup messages", OK, [&] {
        HttpdLogger log(s);
        flush_deferred(run_memory().deferred, log);
        return OK;
    });
}

// --- post_config, after every module that creates a mutex -------------------
int end_pass_hook(apr_pool_t*, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
    return guarded<int>(s, "recording the semaphore sets", OK, [&] {
        HttpdLogger log(s);
        flush_deferred(run_memory().deferred, log);  // in case the open_logs flush did not run
        const auto window1 = open_logs_between(begin_pass_hook, after_mpm_hook);
        const auto window2 = hooks_after_until(after_mpm_hook, end_pass_hook);
        end_pass(pass_input(ptemp, s), run_memory(), g_kernel, g_probe, log, window1, window2);
        return OK;
    });
}

// --- children ----------------------------------------------------------------
server_rec* g_child_server = nullptr;

ChildIdentity child_identity() {
    ChildIdentity who;
    who.uid = geteuid();
    who.gid = getegid();
    gid_t groups[256];
    const int n = getgroups(256, groups);
    for (int i = 0; i < n; ++i) who.groups.push_back(groups[i]);
    return who;
}

// A prefork child that loses its accept mutex calls exit() directly
// (AH00144), past every pool cleanup: atexit is the one place that still runs.
void child_exit_check() {
    if (!g_child_server) return;
    guarded<int>(g_child_server, "child exit check", 0, [] {
        HttpdLogger log(g_child_server);
        child_check(run_memory(), g_kernel, child_identity(), log, wall_clock(), true);
        return 0;
    });
}

void child_init_hook(apr_pool_t*, server_rec* s) {
    guarded<int>(s, "child check", 0, [&] {
        HttpdLogger log(s);
        g_child_server = s;
        child_check(run_memory(), g_kernel, child_identity(), log, wall_clock(), false);
        atexit(child_exit_check);
        return 0;
    });
}

}  // namespace

void register_lifecycle_hooks(apr_pool_t*) {
    static const char* const kMpms[] = {"prefork.c", "worker.c", "event.c", nullptr};
    static const char* const kCore[] = {"core.c", nullptr};
    // Every module known to create a mutex in post_config runs before end_pass.
    static const char* const kMutexCreators[] = {
        "mod_ssl.c",         "mod_rewrite.c",      "mod_proxy.c",
        "mod_proxy_balancer.c", "mod_auth_digest.c", "mod_watchdog.c",
        "mod_authn_socache.c", "mod_cache_socache.c", "util_ldap.c",
        "mod_lua.c",         "mod_socache_shmcb.c", nullptr};

    ap_hook_open_logs(begin_pass_hook, nullptr, kMpms, APR_HOOK_REALLY_FIRST);
    ap_hook_open_logs(after_mpm_hook, kMpms, kCore, APR_HOOK_REALLY_FIRST);
    ap_hook_open_logs(after_core_hook, kCore, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(end_pass_hook, kMutexCreators, nullptr, APR_HOOK_REALLY_LAST);
    ap_hook_child_init(child_init_hook, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
}

}  // namespace glue
}  // namespace semguard
