/* Diagnostic shim for apache2: a backtrace in the error log when a process
 * aborts (glibc's "free(): corrupted unsorted chunks" and friends).
 *
 *   cc -shared -fPIC -O1 -o abort_backtrace.so abort_backtrace.c -ldl
 *   SEMGUARD_HTTPD_PRELOAD=/path/abort_backtrace.so python3 tests/integration/...
 *
 * httpd installs its own SIGABRT handler (sig_coredump), and its children are
 * not dumpable after setuid, so a child that glibc aborts leaves one raw line
 * and "AH00052: child pid N exit signal Abort (6)", with no hint whose code it
 * was. This library keeps SIGABRT for itself (it ignores sigaction() calls for
 * SIGABRT), writes "=== BT pid N sig 6", backtrace_symbols_fd() frames
 * ("lib(+offset)": resolve with addr2line -e lib offset) and "=== END" to
 * stderr (the error log in a detached server), then dies of SIGABRT as before.
 * A frame of mod_semguard.so in the report means the module was on the stack.
 * Used by tests/integration/soak_hard_restart_abort.py. Not for production. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <execinfo.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

typedef int (*sigaction_fn)(int, const struct sigaction*, struct sigaction*);

static sigaction_fn real_sigaction(void) {
    static sigaction_fn real;
    if (!real) real = (sigaction_fn)dlsym(RTLD_NEXT, "sigaction");
    return real;
}

static void on_abort(int sig) {
    void* frames[64];
    char head[64];
    const int n = backtrace(frames, 64);
    const int len = snprintf(head, sizeof head, "=== BT pid %d sig %d\n", (int)getpid(), sig);
    if (write(2, head, (size_t)len) < 0) {
    }
    backtrace_symbols_fd(frames, n, 2);
    if (write(2, "=== END\n", 8) < 0) {
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

__attribute__((constructor)) static void install(void) {
    void* warm[4];
    backtrace(warm, 4); /* loads libgcc_s now: the handler must not allocate */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_abort;
    sigemptyset(&sa.sa_mask);
    real_sigaction()(SIGABRT, &sa, NULL);
}

int sigaction(int sig, const struct sigaction* act, struct sigaction* old) {
    if (sig == SIGABRT && act) return real_sigaction()(sig, NULL, old);
    return real_sigaction()(sig, act, old);
}
