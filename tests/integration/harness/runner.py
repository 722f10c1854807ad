"""The test runner: re-execution in private IPC and PID namespaces, reset between tests."""

import fcntl
import inspect
import os
import shutil
import signal
import sys
import time
import traceback

from . import common as _common
from . import ipc as _ipc
from .common import (_OUTER_IPC_ENV, _OUTER_PID_ENV, _DEFAULT_TEST_TIMEOUT, Skip, TestTimeout,
                     source_dir, build_dir, itest_dir, skip, timeout, _ns_inode, _indent, processes,
                     pid_alive, _kill_pids, _reap_own_children, _Context)
from .ipc import (get_sem_limits, sem_sets, remove_all_sets)

# --------------------------------------------------------------------------
# namespace setup and the test runner
# --------------------------------------------------------------------------

def _summary(passed, failed, skipped):
    line = "%d passed, %d failed" % (passed, failed)
    if skipped:
        line += ", %d skipped" % skipped
    return line


def _collect(tests):
    if tests is not None:
        return list(tests)
    main = sys.modules["__main__"]
    fns = [v for k, v in vars(main).items()
           if k.startswith("test_") and inspect.isfunction(v) and v.__module__ == main.__name__]
    return sorted(fns, key=lambda f: f.__code__.co_firstlineno)


def _parse_args(argv):
    keep = os.environ.get("SEMGUARD_KEEP", "") not in ("", "0")
    verbose, names = False, []
    for a in argv:
        if a == "--keep":
            keep = True
        elif a in ("-v", "--verbose"):
            verbose = True
        elif a in ("-h", "--help"):
            print("usage: %s [--keep] [-v] [test_name ...]" % os.path.basename(sys.argv[0]))
            sys.exit(0)
        elif a.startswith("-"):
            print("unknown option %s" % a)
            sys.exit(2)
        else:
            names.append(a)
    return keep, verbose, names


def run(tests=None):
    """Entry point of a test script (``if __name__ == "__main__":
    harness.run()``).  ``tests``: list of test functions; default: every
    ``test_*`` function of ``__main__`` in source order.  Never returns."""
    tests = _collect(tests)
    keep, verbose, names = _parse_args(sys.argv[1:])
    if names:
        unknown = [n for n in names if n not in {t.__name__ for t in tests}]
        if unknown:
            print("no such test(s): %s (have: %s)" % (", ".join(unknown),
                                                      ", ".join(t.__name__ for t in tests)))
            sys.exit(2)
        tests = [t for t in tests if t.__name__ in names]
    sys.stdout.reconfigure(line_buffering=True)
    if _OUTER_IPC_ENV not in os.environ:
        _reexec_in_namespace(tests)
    _namespace_main(tests, keep, verbose)


def _fail_all(tests, reason):
    for t in tests:
        print("FAIL %s: %s" % (t.__name__, reason))
    print(_summary(0, len(tests), 0))
    sys.exit(1)


def _reexec_in_namespace(tests):
    if os.geteuid() != 0:
        _fail_all(tests, "integration tests need root (unshare of IPC/PID namespaces, "
                         "apache2 User switch); run as root - this is a failure, not a skip")
    unshare = shutil.which("unshare")
    if not unshare:
        _fail_all(tests, "unshare (util-linux) not found")
    env = dict(os.environ)
    env[_OUTER_IPC_ENV] = str(_ns_inode("ipc"))
    env[_OUTER_PID_ENV] = str(_ns_inode("pid"))
    env.setdefault("SEMGUARD_SOURCE_DIR", source_dir())
    env.setdefault("SEMGUARD_BUILD_DIR", build_dir())
    script = os.path.abspath(sys.argv[0])
    argv = [unshare, "--ipc", "--pid", "--fork", "--mount-proc", "--kill-child",
            sys.executable, script] + sys.argv[1:]
    sys.stdout.flush()
    try:
        os.execve(unshare, argv, env)
    except OSError as e:
        _fail_all(tests, "cannot exec unshare: %s" % e)


def _verify_fresh_namespace():
    """PID 1, no semaphore sets, and namespaces different from the outer ones."""
    problems = []
    if os.getpid() != 1:
        problems.append("not PID 1 (pid %d)" % os.getpid())
    elif os.readlink("/proc/self") != "1":
        # /proc must be this PID namespace's: processes are killed by the
        # pids found there
        problems.append("/proc is not mounted for this PID namespace")
    if str(_ns_inode("ipc")) == os.environ.get(_OUTER_IPC_ENV):
        problems.append("IPC namespace is the outer one")
    if str(_ns_inode("pid")) == os.environ.get(_OUTER_PID_ENV):
        problems.append("PID namespace is the outer one")
    if not problems:
        with open("/proc/sysvipc/sem") as f:
            n = len([l for l in f.read().splitlines()[1:] if l.strip()])
        if n:
            problems.append("%d semaphore set(s) already exist" % n)
    return problems


def _namespace_main(tests, keep, verbose):
    problems = _verify_fresh_namespace()
    if problems:
        _fail_all(tests, "refusing to run: not in a fresh private namespace: %s"
                  % "; ".join(problems))
    if os.geteuid() != 0:
        _fail_all(tests, "not root inside the namespace")
    os.umask(0o022)
    _ipc._VERIFIED_IPC_NS = _ns_inode("ipc")
    with open("/proc/sys/kernel/sem") as f:
        _ipc._DEFAULT_LIMITS = tuple(int(x) for x in f.read().split())
    script = os.path.splitext(os.path.basename(sys.argv[0]))[0]
    lock = _lock_script_dir(script, tests)     # kept open (and locked) until exit
    print("== %s: %d test(s) in a private IPC+PID namespace; build dir %s"
          % (script, len(tests), build_dir()))
    sys.stdout.flush()
    sys.stderr.flush()
    child = os.fork()
    if child == 0:
        code = 1
        try:
            code = _run_tests(tests, script, keep, verbose)
        except BaseException:
            traceback.print_exc()
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
    _pid1_reaper(child)


def _lock_script_dir(script, tests, timeout=600.0):
    """Two runs of one script with one build dir would delete each other's
    server roots: serialize them with a lock file (waiting at most
    ``timeout`` s)."""
    d = itest_dir()
    os.makedirs(d, exist_ok=True)
    f = open(os.path.join(d, script + ".lock"), "w")
    deadline = time.monotonic() + timeout
    told = False
    while True:
        try:
            fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return f
        except BlockingIOError:
            if not told:
                print("waiting for another run of %s that uses %s" % (script, d), flush=True)
                told = True
            if time.monotonic() > deadline:
                _fail_all(tests, "another run of %s kept %s locked for %.0fs" % (script, d, timeout))
            time.sleep(0.2)


def _pid1_reaper(child):
    """PID 1: reap every orphan until the test child exits; then exit with
    its status (the kernel kills anything left in the namespace)."""
    def forward(sig, frame):
        try:
            os.kill(child, signal.SIGKILL if sig == signal.SIGTERM else sig)
        except ProcessLookupError:
            pass
    for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, forward)
    status = None
    while status is None:
        try:
            pid, st = os.wait()
        except ChildProcessError:
            break
        except InterruptedError:
            continue
        if pid == child:
            status = st
    left = [p for p in processes() if p.pid != 1 and p.state != "Z"]
    if left:
        print("NOTE: %d process(es) left in the namespace at exit (killed with it): %s"
              % (len(left), ", ".join("%d %s" % (p.pid, " ".join(p.cmdline)[:60]) for p in left)))
    if status is None:
        sys.exit(1)
    if os.WIFSIGNALED(status):
        print("test process killed by signal %d" % os.WTERMSIG(status))
        sys.exit(128 + os.WTERMSIG(status))
    sys.exit(os.WEXITSTATUS(status))


class _Alarm:
    def __init__(self, seconds):
        self.seconds = seconds

    def _fire(self, sig, frame):
        raise TestTimeout("test exceeded its time limit of %.0fs" % self.seconds)

    def __enter__(self):
        self.old = signal.signal(signal.SIGALRM, self._fire)
        signal.setitimer(signal.ITIMER_REAL, self.seconds)

    def __exit__(self, *exc):
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, self.old)
        return False


def _reset_namespace():
    """Kill every process but PID 1 and us, remove every set, restore limits.
    Returns a list of notes about what had to be cleaned."""
    notes = []
    me = os.getpid()
    for attempt in range(3):
        left = [p for p in processes() if p.pid not in (1, me) and p.state != "Z"]
        if not left:
            break
        if attempt == 0:
            notes.append("killed leftover processes: %s" % ", ".join(
                "%d(%s)" % (p.pid, os.path.basename(p.cmdline[0]) if p.cmdline else "?")
                for p in left))
        _kill_pids([p.pid for p in left])
        deadline = time.monotonic() + 5
        while any(pid_alive(p.pid) for p in left) and time.monotonic() < deadline:
            _reap_own_children()
            time.sleep(0.02)
    _reap_own_children()
    n = remove_all_sets()
    if n:
        notes.append("removed %d semaphore set(s)" % n)
    if get_sem_limits() != _ipc._DEFAULT_LIMITS:
        with open("/proc/sys/kernel/sem", "w") as f:
            f.write("%d %d %d %d\n" % _ipc._DEFAULT_LIMITS)
    return notes


def _failure_reason(exc):
    tb = traceback.extract_tb(exc.__traceback__)
    where = ""
    for fr in reversed(tb):
        if os.path.abspath(fr.filename) == os.path.abspath(sys.argv[0]):
            where = " [%s:%d]" % (os.path.basename(fr.filename), fr.lineno)
            break
    msg = str(exc).strip()
    if isinstance(exc, AssertionError):
        if not msg:
            fr = next((f for f in reversed(tb)
                       if os.path.abspath(f.filename) == os.path.abspath(sys.argv[0])), tb[-1])
            msg = "assert failed: %s" % (fr.line or "?")
        return msg + where, None
    if isinstance(exc, TestTimeout):
        return msg + where, "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))
    return "%s: %s%s" % (type(exc).__name__, msg, where), \
        "".join(traceback.format_exception(type(exc), exc, exc.__traceback__))


def _run_tests(tests, script, keep, verbose):
    passed = failed = skipped = 0
    for fn in tests:
        name = fn.__name__
        ctx = _Context(script, name, keep)
        if os.path.isdir(ctx.dir):
            shutil.rmtree(ctx.dir, ignore_errors=True)
        os.makedirs(ctx.dir, exist_ok=True)
        _reset_namespace()
        _common._CURRENT = ctx
        outcome, reason, details = "PASS", "", None
        t0 = time.monotonic()
        try:
            with _Alarm(getattr(fn, "_itest_timeout", _DEFAULT_TEST_TIMEOUT)):
                fn()
        except Skip as e:
            outcome, reason = "SKIP", str(e)
        except KeyboardInterrupt:
            print("FAIL %s (%.1fs): interrupted" % (name, time.monotonic() - t0))
            print(_summary(passed, failed + 1, skipped))
            return 130
        except BaseException as e:
            outcome = "FAIL"
            reason, details = _failure_reason(e)
        elapsed = time.monotonic() - t0
        # diagnostics before cleanup changes anything
        diag = []
        if outcome == "FAIL":
            for s in ctx.servers:
                try:
                    diag.append(s.describe())
                except Exception as e:
                    diag.append("server %s: cannot describe: %s" % (s.name, e))
            try:
                diag.append("semaphore sets: %s" % (sem_sets(),))
            except Exception:
                pass
        # cleanup: servers, holders, then the whole namespace
        cleanup_errors = []
        for obj in reversed(ctx.objects):
            try:
                obj.cleanup()
            except BaseException as e:
                cleanup_errors.append("%r: %s" % (obj, e))
        _common._CURRENT = None
        try:
            notes = _reset_namespace()
        except BaseException as e:
            notes = []
            cleanup_errors.append("namespace reset: %s" % e)
        if cleanup_errors and outcome != "FAIL":
            outcome, reason = "FAIL", "cleanup failed: " + "; ".join(cleanup_errors)
        if outcome == "PASS":
            passed += 1
            print("PASS %s (%.1fs)" % (name, elapsed))
        elif outcome == "SKIP":
            skipped += 1
            print("SKIP %s (%.1fs): %s" % (name, elapsed, reason))
        else:
            failed += 1
            print("FAIL %s (%.1fs): %s" % (name, elapsed, reason))
            if details:
                print(_indent(details.rstrip()))
            for d in diag:
                print(_indent(d))
            print("    server roots kept in %s" % ctx.dir)
        if verbose and notes:
            print("    cleanup: %s" % "; ".join(notes))
        if outcome != "FAIL" and not keep:
            shutil.rmtree(ctx.dir, ignore_errors=True)
        elif outcome != "FAIL":
            print("    server roots kept in %s" % ctx.dir)
        sys.stdout.flush()
    print(_summary(passed, failed, skipped))
    return 1 if failed else 0
