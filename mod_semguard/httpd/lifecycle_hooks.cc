#include "lifecycle_hooks.h"

#include <grp.h>
#include <stdlib.h>
#include <unistd.h>

#include <ctime>

#include "apr_strings.h"
#include "ap_mpm.h"
#include "diagnosis_glue.h"
#include "guarded.h"
#include "hook_spans.h"
#include "mod_semguard.h"
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

// apache2 -X defines DEBUG (one process, no detach); -DONE_PROCESS alone too.
bool one_process_mode() {
    return ap_exists_config_define("DEBUG") || ap_exists_config_define("ONE_PROCESS");
}

// The parent's exit. In one-process mode the MPM never returns: the process
// calls exit() while httpd is still in its run state, and the pools are
// destroyed at exit (apr_terminate), so the run state counts as exiting there.
bool parent_exiting() {
    const int state = ap_state_query(AP_SQ_MAIN_STATE);
    return state == AP_SQ_MS_EXITING || (one_process_mode() && state == AP_SQ_MS_RUN_MPM);
}

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
    in.one_process = one_process_mode();
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
        HttpdLogger log(s);
        if (parent_exiting())
            parent_exit(run_memory(), g_kernel, g_probe, log, wall_clock());
        else
            retire_generation(run_memory(), g_kernel, g_probe, log, wall_clock());
        return 0;
    });
    return APR_SUCCESS;
}

// Registered on pconf when the pass begins, so it runs after the cleanups of
// every mutex the pass creates later (pool cleanups run last-registered first)
// and before the module is unloaded (mod_so registered that at LoadModule).
// At the parent's exit it removes what those cleanups left behind.
apr_status_t stop_sweep_cleanup(void* data) {
    auto* s = static_cast<server_rec*>(data);
    guarded<int>(s, "clean stop sweep", 0, [&] {
        if (!parent_exiting()) return 0;
        HttpdLogger log(s);
        sweep_at_stop(run_memory(), g_kernel, log, wall_clock());
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
        apr_pool_cleanup_register(pconf, s, stop_sweep_cleanup, apr_pool_cleanup_null);
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

// --- post_config, between hook positions ---------------------------------------
// A snapshot between FIRST and MIDDLE, MIDDLE and LAST, LAST and REALLY_LAST:
// a set made in a REALLY_LAST hook (ModSecurity's) is then told apart from
// those of the MIDDLE hooks (mod_ssl, mod_rewrite).
int mark_span_hook(apr_pool_t*, apr_pool_t*, apr_pool_t*, server_rec* s) {
    return guarded<int>(s, "snapshot", OK, [&] {
        mark_span(run_memory(), g_kernel);
        return OK;
    });
}
int mark_span_hook2(apr_pool_t* a, apr_pool_t* b, apr_pool_t* c, server_rec* s) {
    return mark_span_hook(a, b, c, s);
}
int mark_span_hook3(apr_pool_t* a, apr_pool_t* b, apr_pool_t* c, server_rec* s) {
    return mark_span_hook(a, b, c, s);
}

// --- post_config, after every other hook (even REALLY_LAST ones) -------------
int end_pass_hook(apr_pool_t*, apr_pool_t*, apr_pool_t* ptemp, server_rec* s) {
    return guarded<int>(s, "recording the semaphore sets", OK, [&] {
        HttpdLogger log(s);
        flush_deferred(run_memory().deferred, log);  // in case the open_logs flush did not run
        const auto window1 = open_logs_between(begin_pass_hook, after_mpm_hook);
        auto spans =
            post_config_spans(after_mpm_hook, {mark_span_hook, mark_span_hook2, mark_span_hook3},
                              end_pass_hook, semguard_module.name);
        const auto window2 = spans.front();
        spans.erase(spans.begin());
        end_pass(pass_input(ptemp, s), run_memory(), g_kernel, g_probe, log, window1, window2,
                 spans);
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
        child_check(run_memory(), g_kernel, g_probe, child_identity(), log, wall_clock(), true);
        return 0;
    });
}

void child_init_hook(apr_pool_t*, server_rec* s) {
    guarded<int>(s, "child check", 0, [&] {
        HttpdLogger log(s);
        g_child_server = s;
        child_check(run_memory(), g_kernel, g_probe, child_identity(), log, wall_clock(), false);
        atexit(child_exit_check);
        return 0;
    });
}

}  // namespace

void register_lifecycle_hooks(apr_pool_t*) {
    static const char* const kMpms[] = {"prefork.c", "worker.c", "event.c", nullptr};
    static const char* const kCore[] = {"core.c", nullptr};
    ap_hook_open_logs(begin_pass_hook, nullptr, kMpms, APR_HOOK_REALLY_FIRST);
    ap_hook_open_logs(after_mpm_hook, kMpms, kCore, APR_HOOK_REALLY_FIRST);
    ap_hook_open_logs(after_core_hook, kCore, nullptr, APR_HOOK_REALLY_FIRST);
    ap_hook_post_config(mark_span_hook, nullptr, nullptr, (APR_HOOK_FIRST + APR_HOOK_MIDDLE) / 2);
    ap_hook_post_config(mark_span_hook2, nullptr, nullptr, (APR_HOOK_MIDDLE + APR_HOOK_LAST) / 2);
    ap_hook_post_config(mark_span_hook3, nullptr, nullptr,
                        (APR_HOOK_LAST + APR_HOOK_REALLY_LAST) / 2);
    // APR sorts hooks by this number first: beyond REALLY_LAST, end_pass runs
    // after every module's REALLY_LAST hook, whatever the load order; the known
    // mutex creators are named as predecessors as well.
    ap_hook_post_config(end_pass_hook, mutex_creating_modules(), nullptr,
                        APR_HOOK_REALLY_LAST + 10);
    ap_hook_child_init(child_init_hook, nullptr, nullptr, APR_HOOK_REALLY_FIRST);
}

}  // namespace glue
}  // namespace semguard
