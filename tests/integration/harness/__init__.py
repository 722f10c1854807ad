"""Integration-test harness: the real Debian apache2 in a private IPC + PID namespace.

A test file is a plain Python script::

    import harness
    from harness import Server, sem_sets

    def test_something():
        s = Server(module=False)
        s.start()
        assert len(sem_sets()) == 3
        s.stop()

    if __name__ == "__main__":
        harness.run()            # or harness.run([test_something, ...])

How it runs
-----------
* ``run()`` re-executes the script under ``unshare --ipc --pid --fork
  --mount-proc --kill-child`` (once; the environment variable
  ``SEMGUARD_ITEST_OUTER_IPC_NS`` marks "already inside").  Every test *file*
  therefore gets its own IPC namespace (own semaphores, own
  ``/proc/sys/kernel/sem``) and its own PID namespace.
* Inside, the script is PID 1.  It checks that the namespace really is fresh
  (PID 1, /proc mounted for it, no semaphore sets, IPC and PID namespaces
  differ from the ones it was started in) and refuses to do anything
  otherwise.  It then forks: the child runs the tests; PID 1 only reaps
  orphans (killed httpd parents, reparented children) until the test child
  exits, and exits with its status.  When PID 1 exits the kernel kills
  whatever is left in the namespace.  Waits for a process to die last until
  PID 1 has reaped it: httpd's "already running" check (``kill(pid, 0)`` on
  the pid file's pid) succeeds on a zombie.
* Before and after every test the namespace is reset: servers created by the
  test are stopped (or killed), helper processes are killed, every semaphore
  set is removed and the kernel limits are restored.  Tests of one file are
  therefore independent, although they share a namespace.
* Output: one ``PASS name (1.2s)`` / ``FAIL name (1.2s): reason`` line per
  test (with diagnostics under a failure), then exactly ``N passed, N failed``
  (``, N skipped`` appended when any test was skipped).  Exit status 1 on any
  failure.  Not being root is a failure, never a skip.

Command line of a test script::

    python3 tests/integration/test_x.py [--keep] [-v] [test_name ...]

``--keep`` (or ``SEMGUARD_KEEP=1``) keeps every server root; the roots of
failing tests are always kept.  Roots live in
``$SEMGUARD_BUILD_DIR/itest/<script>/<test>/<n>``.

Environment: ``SEMGUARD_MODULE`` (the built mod_semguard.so; default
``<repo>/build/mod_semguard.so``), ``SEMGUARD_SOURCE_DIR`` (default: the
checkout holding this file), ``SEMGUARD_BUILD_DIR`` (default
``<repo>/build/itest-manual``).  For apache2 itself ``ASAN_OPTIONS``,
``UBSAN_OPTIONS``, ``LSAN_OPTIONS`` are passed through and
``SEMGUARD_HTTPD_PRELOAD`` becomes its ``LD_PRELOAD`` (needed to load a
sanitizer-built module into the stock binary).

Safety: every helper that reads or changes SysV IPC refuses to run unless the
process is inside the namespace verified by ``run()`` (see
``require_private_ipc``).  Nothing here ever touches the host's IPC
namespace, the system apache2 service or /etc/apache2.

Python 3 standard library only.
"""

__all__ = [
    "run", "skip", "timeout", "wait_for", "fail", "current_test",
    "Skip", "TestTimeout", "HarnessError",
    "require_private_ipc", "get_sem_limits", "set_sem_limits", "sem_sets",
    "sem_set", "ANCHOR_BYTES", "shm_segments", "anchor_segments", "lsipc_usage", "sem_values", "create_set", "set_value",
    "get_value", "get_pid", "remove_set", "remove_all_sets", "SemHolder",
    "hold_set", "processes", "pid_alive", "stop_process",
    "Server", "StartResult", "ServerPids", "Response",
    "ENVIRONMENT_NOISE", "CRASH_NOISE", "APACHE2", "MODULE_DIR",
    "source_dir", "build_dir", "itest_dir", "module_path",
]

# Every name, public or not, stays reachable as harness.X: test files written
# against the single-file harness keep working unchanged.
from .common import (  # noqa: F401
    APACHE2,
    MODULE_DIR,
    ENVIRONMENT_NOISE,
    CRASH_NOISE,
    _OUTER_IPC_ENV,
    _OUTER_PID_ENV,
    _HERE,
    _DEFAULT_TEST_TIMEOUT,
    _RESUMING,
    HarnessError,
    Skip,
    TestTimeout,
    source_dir,
    build_dir,
    itest_dir,
    module_path,
    fail,
    skip,
    timeout,
    wait_for,
    _ns_inode,
    _tail,
    _indent,
    Proc,
    processes,
    pid_alive,
    stop_process,
    _proc_state,
    _reaped,
    _kill_pids,
    _reap_own_children,
    _Context,
    current_test,
    _register)
from .ipc import (  # noqa: F401
    IPC_PRIVATE,
    SEM_UNDO,
    _libc,
    _Sembuf,
    _oserror,
    require_private_ipc,
    get_sem_limits,
    set_sem_limits,
    _SEM_FIELDS,
    sem_sets,
    sem_set,
    ANCHOR_BYTES,
    shm_segments,
    anchor_segments,
    lsipc_usage,
    sem_values,
    _semctl,
    _semget,
    _ipc_set_owner,
    _uid,
    _gid,
    create_set,
    set_value,
    get_value,
    get_pid,
    remove_set,
    remove_all_sets,
    SemHolder,
    hold_set,
    _holder_main)
from .http import (  # noqa: F401
    Response,
    _http_get,
    _free_port,
    _ssl_material)
from .config import (  # noqa: F401
    DEFAULT_PARAMS,
    render_config,
    server_files)
from .server import (  # noqa: F401
    StartResult,
    ServerPids,
    _LEVEL_RE,
    _BAD_LEVELS,
    Server,
    _make_traversable)
from .runner import (  # noqa: F401
    _summary,
    _collect,
    _parse_args,
    run,
    _fail_all,
    _reexec_in_namespace,
    _verify_fresh_namespace,
    _namespace_main,
    _lock_script_dir,
    _pid1_reaper,
    _Alarm,
    _reset_namespace,
    _failure_reason,
    _run_tests)
