"""Constants, paths, errors, small utilities, processes and the per-test context."""

import collections
import hashlib
import os
import shutil
import signal
import time


# --------------------------------------------------------------------------
# constants and paths
# --------------------------------------------------------------------------

APACHE2 = "/usr/sbin/apache2"
MODULE_DIR = "/usr/lib/apache2/modules"

#: Log lines stock Debian apache2 emits on this machine whatever the config:
#: AH01882 "this version of mod_ssl was compiled against a newer library"
#: (the package's build OpenSSL differs from the installed libssl).
#: ``Server.assert_log_clean`` allows these unless told otherwise.
ENVIRONMENT_NOISE = (r"AH01882:",)

#: What httpd logs when started after a SIGKILL left its pid file behind:
#: "AH00098: pid file ... overwritten -- Unclean shutdown of previous Apache
#: run?" (warn).  Pass it to ``assert_log_clean(allowed=CRASH_NOISE)`` in
#: crash tests.
CRASH_NOISE = (r"AH00098:",)

_OUTER_IPC_ENV = "SEMGUARD_ITEST_OUTER_IPC_NS"
_OUTER_PID_ENV = "SEMGUARD_ITEST_OUTER_PID_NS"
# tests/integration, the folder that holds this package
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
_DEFAULT_TEST_TIMEOUT = 300.0
_RESUMING = "configured -- resuming normal operations"   # AH00163/AH00292/AH00489


class HarnessError(Exception):
    """The harness itself cannot do what was asked (not a test assertion)."""


class Skip(Exception):
    """Raised by ``skip()``; the test is counted as skipped."""


class TestTimeout(Exception):
    """Raised inside a test that ran longer than its time limit."""


def source_dir():
    """The checkout: $SEMGUARD_SOURCE_DIR, else two levels above this file."""
    return os.path.abspath(os.environ.get("SEMGUARD_SOURCE_DIR")
                           or os.path.join(_HERE, "..", ".."))


def build_dir():
    """$SEMGUARD_BUILD_DIR, else <repo>/build/itest-manual."""
    return os.path.abspath(os.environ.get("SEMGUARD_BUILD_DIR")
                           or os.path.join(source_dir(), "build", "itest-manual"))


def _searchable_by_others(path):
    """True when every directory from / down to ``path`` lets others search
    it (those not made yet will be, with the usual umask)."""
    p = os.path.abspath(path)
    while True:
        try:
            if not os.stat(p).st_mode & 0o001:
                return False
        except FileNotFoundError:
            pass
        if p == "/":
            return True
        p = os.path.dirname(p)


def itest_dir():
    """Where the server roots live: <build>/itest.  httpd's children run as
    User and must reach htdocs (otherwise every GET is a 403, AH00035), so when
    a directory above the build dir is closed to others (a checkout in /root,
    mode 0700), <build>/itest is a symlink to /var/tmp/semguard-itest-<hash of
    the build dir>, and this returns the real path."""
    link = os.path.join(build_dir(), "itest")
    if _searchable_by_others(build_dir()) and not os.path.islink(link):
        return link
    if not os.path.islink(link):
        digest = hashlib.sha1(build_dir().encode()).hexdigest()[:12]
        target = "/var/tmp/semguard-itest-%s" % digest
        os.makedirs(target, exist_ok=True)
        os.chmod(target, 0o755)
        os.makedirs(build_dir(), exist_ok=True)
        if os.path.isdir(link):
            shutil.rmtree(link)
        try:
            os.symlink(target, link)
        except FileExistsError:
            pass  # another test script made it meanwhile
    return os.path.realpath(link)


def module_path():
    """Path of the built mod_semguard.so ($SEMGUARD_MODULE, else
    <repo>/build/mod_semguard.so).  Raises HarnessError if it does not exist."""
    path = os.environ.get("SEMGUARD_MODULE") or os.path.join(
        source_dir(), "build", "mod_semguard.so")
    if not os.path.isfile(path):
        raise HarnessError(
            "mod_semguard.so not found at %r: build it and set SEMGUARD_MODULE "
            "(ctest does), or use Server(module=False) for stock httpd" % path)
    return os.path.abspath(path)


# --------------------------------------------------------------------------
# small utilities
# --------------------------------------------------------------------------

def fail(message):
    """Fail the current test with ``message`` (raises AssertionError)."""
    raise AssertionError(message)


def skip(reason):
    """Skip the current test.  Never use this for missing privileges: a test
    that cannot run as intended must fail."""
    raise Skip(reason)


def timeout(seconds):
    """Decorator: per-test time limit in seconds (default 300)."""
    def deco(fn):
        fn._itest_timeout = float(seconds)
        return fn
    return deco


def wait_for(predicate, timeout=10.0, interval=0.05, what="condition"):
    """Poll ``predicate()`` until it returns a truthy value, which is
    returned.  Raises AssertionError naming ``what`` after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise AssertionError("timed out after %.1fs waiting for %s" % (timeout, what))
        time.sleep(interval)


def _ns_inode(kind, pid="self"):
    return os.stat("/proc/%s/ns/%s" % (pid, kind)).st_ino


def _tail(text, lines=40):
    parts = text.splitlines()
    if len(parts) > lines:
        parts = ["... (%d earlier lines)" % (len(parts) - lines)] + parts[-lines:]
    return "\n".join(parts)


def _indent(text, prefix="    "):
    return "\n".join(prefix + line for line in text.splitlines())


# --------------------------------------------------------------------------
# processes (inside the PID namespace /proc shows only our processes)
# --------------------------------------------------------------------------

Proc = collections.namedtuple("Proc", "pid ppid pgid sid state uid cmdline")
Proc.__doc__ = "One process from /proc: state is the stat letter (Z = zombie), uid the real uid, cmdline a list."


def processes():
    """Every process visible in /proc as a list of ``Proc``."""
    out = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        pid = int(name)
        try:
            with open("/proc/%d/stat" % pid) as f:
                stat = f.read()
            with open("/proc/%d/cmdline" % pid, "rb") as f:
                cmd = [a.decode("utf-8", "replace") for a in f.read().split(b"\0") if a]
            with open("/proc/%d/status" % pid) as f:
                uid = next(int(l.split()[1]) for l in f if l.startswith("Uid:"))
        except (FileNotFoundError, ProcessLookupError, StopIteration):
            continue
        rest = stat[stat.rindex(")") + 2:].split()
        out.append(Proc(pid, int(rest[1]), int(rest[2]), int(rest[3]), rest[0], uid, cmd))
    return out


def pid_alive(pid):
    """True if ``pid`` exists and is not a zombie."""
    return _proc_state(pid) not in (None, "Z")


def _proc_state(pid):
    """The /proc stat state letter of ``pid`` (None if it does not exist)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat[stat.rindex(")") + 2]


def stop_process(pid, timeout=30.0):
    """SIGSTOP ``pid`` and wait until /proc says it is stopped: the signal is
    delivered asynchronously, so a process that was just signalled may still
    run (or exit) for a moment. False if it exited first (gone, or a zombie
    its parent may reap at any moment, so that a later SIGCONT fails with
    ESRCH), or if it did not stop within ``timeout`` s (a process in
    uninterruptible sleep stops only when it wakes): then it is let go."""
    try:
        os.kill(pid, signal.SIGSTOP)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        state = _proc_state(pid)
        if state in ("T", "t"):
            return True
        if state in (None, "Z"):
            return False
        time.sleep(0.0005)
    _kill_pids([pid], signal.SIGCONT)
    return False


def _reaped(pid):
    """True once ``pid`` is gone from /proc.  A zombie waiting for PID 1 is
    not gone: ``kill(pid, 0)`` still succeeds on it, so httpd's "already
    running" check (``-k start`` with the pid file of a killed parent) would
    still see it.  A zombie whose live parent is not PID 1 (a child its
    parent has yet to wait for) counts as gone."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            stat = f.read()
    except (FileNotFoundError, ProcessLookupError):
        return True
    rest = stat[stat.rindex(")") + 2:].split()
    if rest[0] != "Z":
        return False
    ppid = int(rest[1])
    return ppid not in (0, 1) and pid_alive(ppid)


def _kill_pids(pids, sig=signal.SIGKILL):
    for pid in pids:
        try:
            os.kill(pid, sig)
        except ProcessLookupError:
            pass


def _reap_own_children():
    """Collect exited children of this process (never blocks)."""
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


# --------------------------------------------------------------------------
# per-test context
# --------------------------------------------------------------------------

class _Context:
    def __init__(self, script, name, keep):
        self.script, self.name, self.keep = script, name, keep
        self.dir = os.path.join(itest_dir(), script, name)
        self.objects = []     # Servers and SemHolders, cleaned up at the end
        self.servers = []
        self.counter = 0


_CURRENT = None


def current_test():
    """Name of the running test (None outside a test)."""
    return _CURRENT.name if _CURRENT else None


def _register(obj):
    if _CURRENT is not None:
        _CURRENT.objects.append(obj)
        from .server import Server  # here: server.py imports this module
        if isinstance(obj, Server):
            _CURRENT.servers.append(obj)
