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

import collections
import ctypes
import ctypes.util
import errno
import fcntl
import http.client
import inspect
import json
import os
import pwd
import grp
import re
import select
import shutil
import signal
import socket
import ssl as _ssl
import subprocess
import sys
import time
import traceback

__all__ = [
    "run", "skip", "timeout", "wait_for", "fail", "current_test",
    "Skip", "TestTimeout", "HarnessError",
    "require_private_ipc", "get_sem_limits", "set_sem_limits", "sem_sets",
    "sem_set", "lsipc_usage", "sem_values", "create_set", "set_value",
    "get_value", "get_pid", "remove_set", "remove_all_sets", "SemHolder",
    "hold_set", "processes", "pid_alive",
    "Server", "StartResult", "ServerPids", "Response",
    "ENVIRONMENT_NOISE", "CRASH_NOISE", "APACHE2", "MODULE_DIR",
    "source_dir", "build_dir", "module_path",
]

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
_HERE = os.path.dirname(os.path.abspath(__file__))
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
# SysV IPC (only inside the verified private namespace)
# --------------------------------------------------------------------------

_VERIFIED_IPC_NS = None
_DEFAULT_LIMITS = None

IPC_PRIVATE = 0
IPC_RMID, IPC_SET, IPC_STAT = 0, 1, 2
GETPID, GETVAL, GETNCNT, GETZCNT, SETVAL = 11, 12, 14, 15, 16
IPC_CREAT, IPC_EXCL, IPC_NOWAIT = 0o1000, 0o2000, 0o4000
SEM_UNDO = 0x1000

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.semget.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
_libc.semget.restype = ctypes.c_int
_libc.semop.restype = ctypes.c_int
_libc.semctl.restype = ctypes.c_int


class _Sembuf(ctypes.Structure):
    _fields_ = [("sem_num", ctypes.c_ushort), ("sem_op", ctypes.c_short),
                ("sem_flg", ctypes.c_short)]


def _oserror(what):
    e = ctypes.get_errno()
    return OSError(e, "%s: %s" % (what, os.strerror(e)))


def require_private_ipc():
    """Raise HarnessError unless this process is inside the private IPC
    namespace that ``run()`` created and verified.  Every IPC helper calls
    this first: nothing here can touch the host's semaphores."""
    if _VERIFIED_IPC_NS is None:
        raise HarnessError("SysV IPC helpers only work inside harness.run() "
                           "(private IPC namespace not set up/verified)")
    if _ns_inode("ipc") != _VERIFIED_IPC_NS:
        raise HarnessError("IPC namespace changed under the harness; refusing")


def get_sem_limits():
    """(semmsl, semmns, semopm, semmni) from /proc/sys/kernel/sem."""
    require_private_ipc()
    with open("/proc/sys/kernel/sem") as f:
        return tuple(int(x) for x in f.read().split())


def set_sem_limits(semmsl, semmns, semopm, semmni):
    """Write /proc/sys/kernel/sem (namespace-local).  Returns the old limits.
    Restored automatically after each test."""
    require_private_ipc()
    old = get_sem_limits()
    with open("/proc/sys/kernel/sem", "w") as f:
        f.write("%d %d %d %d\n" % (semmsl, semmns, semopm, semmni))
    return old


_SEM_FIELDS = ("key", "semid", "perms", "nsems", "uid", "gid", "cuid", "cgid",
               "otime", "ctime")


def sem_sets():
    """Every semaphore set, parsed from /proc/sysvipc/sem, sorted by semid.

    Each is a dict with int values for key, semid, perms, nsems, uid, gid,
    cuid, cgid, otime, ctime.  ``perms`` is the mode parsed as octal (httpd's
    sets have ``perms == 0o600``); ``key`` is signed decimal (IPC_PRIVATE is
    0); ``otime`` 0 means no semop yet."""
    require_private_ipc()
    with open("/proc/sysvipc/sem") as f:
        lines = f.read().splitlines()
    header = lines[0].split()
    sets = []
    for line in lines[1:]:
        if not line.strip():
            continue
        row = dict(zip(header, line.split()))
        d = {}
        for name in _SEM_FIELDS:
            d[name] = int(row[name], 8) if name == "perms" else int(row[name])
        sets.append(d)
    return sorted(sets, key=lambda d: d["semid"])


def sem_set(semid):
    """The ``sem_sets()`` entry for ``semid``, or None."""
    return next((s for s in sem_sets() if s["semid"] == semid), None)


def lsipc_usage():
    """Kernel-wide usage of semaphores in this namespace, as reported by
    ``lsipc -s -g -b --json`` (falls back to ``ipcs -u -s`` / ``ipcs -l -s``):
    ``{"SEMMNI": {"used": n, "limit": n}, "SEMMNS": {"used": n, "limit": n}}``."""
    require_private_ipc()
    try:
        out = subprocess.run(["lsipc", "-s", "-g", "-b", "--json"], check=True,
                             capture_output=True, text=True, timeout=10).stdout
        rows = json.loads(out)["ipclimits"]
        res = {}
        for row in rows:
            if row.get("resource") in ("SEMMNI", "SEMMNS"):
                res[row["resource"]] = {"used": int(row["used"]), "limit": int(row["limit"])}
        if len(res) == 2:
            return res
    except (OSError, subprocess.SubprocessError, ValueError, KeyError):
        pass
    used = subprocess.run(["ipcs", "-u", "-s"], check=True, capture_output=True,
                          text=True, timeout=10).stdout
    lim = subprocess.run(["ipcs", "-l", "-s"], check=True, capture_output=True,
                         text=True, timeout=10).stdout

    def num(text, label):
        m = re.search(re.escape(label) + r"\s*=\s*(\d+)", text)
        if not m:
            raise HarnessError("cannot parse %r from ipcs output:\n%s" % (label, text))
        return int(m.group(1))
    return {"SEMMNI": {"used": num(used, "used arrays"),
                       "limit": num(lim, "max number of arrays")},
            "SEMMNS": {"used": num(used, "allocated semaphores"),
                       "limit": num(lim, "max semaphores system wide")}}


def sem_values(semid):
    """Per-semaphore state of set ``semid`` parsed from ``ipcs -s -i ID``:
    a list of dicts ``{semnum, value, ncount, zcount, pid}`` (pid = GETPID,
    the last process that changed it)."""
    require_private_ipc()
    r = subprocess.run(["ipcs", "-s", "-i", str(semid)], capture_output=True,
                       text=True, timeout=10)
    if r.returncode != 0:
        raise HarnessError("ipcs -s -i %d failed: %s" % (semid, r.stderr.strip()))
    rows, in_table = [], False
    for line in r.stdout.splitlines():
        parts = line.split()
        if parts[:2] == ["semnum", "value"]:
            in_table = True
            continue
        if in_table and len(parts) == 5 and all(p.lstrip("-").isdigit() for p in parts):
            rows.append(dict(zip(("semnum", "value", "ncount", "zcount", "pid"),
                                 (int(p) for p in parts))))
    return rows


def _semctl(semid, semnum, cmd, arg=0):
    if isinstance(arg, int):
        arg = ctypes.c_int(arg)
    rc = _libc.semctl(ctypes.c_int(semid), ctypes.c_int(semnum), ctypes.c_int(cmd), arg)
    if rc == -1:
        raise _oserror("semctl(%d, %d, %d)" % (semid, semnum, cmd))
    return rc


def _semget(key, nsems, flags):
    semid = _libc.semget(key, nsems, flags)
    if semid == -1:
        raise _oserror("semget(key=%d, nsems=%d)" % (key, nsems))
    return semid


# offsets of struct ipc_perm inside struct semid_ds (glibc, 64-bit Linux)
_PERM_UID_OFF, _PERM_GID_OFF, _PERM_MODE_OFF = 4, 8, 20


def _ipc_set_owner(semid, uid=None, gid=None, mode=None):
    buf = ctypes.create_string_buffer(512)
    _semctl(semid, 0, IPC_STAT, ctypes.cast(buf, ctypes.c_void_p))
    if uid is not None:
        ctypes.c_uint32.from_buffer(buf, _PERM_UID_OFF).value = uid
    if gid is not None:
        ctypes.c_uint32.from_buffer(buf, _PERM_GID_OFF).value = gid
    if mode is not None:
        ctypes.c_uint16.from_buffer(buf, _PERM_MODE_OFF).value = mode & 0o777
    _semctl(semid, 0, IPC_SET, ctypes.cast(buf, ctypes.c_void_p))
    st = sem_set(semid)
    if st is None or (uid is not None and st["uid"] != uid) or \
            (gid is not None and st["gid"] != gid) or \
            (mode is not None and st["perms"] & 0o777 != mode & 0o777):
        raise HarnessError("IPC_SET on %d did not take effect (layout?): %r" % (semid, st))


def _uid(user):
    return user if isinstance(user, int) or user is None else pwd.getpwnam(user).pw_uid


def _gid(group):
    return group if isinstance(group, int) or group is None else grp.getgrnam(group).gr_gid


def create_set(nsems=1, key=IPC_PRIVATE, mode=0o600, uid=None, gid=None,
               creator_uid=None, creator_gid=None, value=None, exclusive=True):
    """Create a semaphore set the way another program would; returns semid.

    ``key``: IPC_PRIVATE (0) or a key.  ``creator_uid/creator_gid`` (name or
    number): create it from a forked child running with those ids, so cuid and
    uid are that user (default: root, this process).  ``uid/gid``: change the
    owner afterwards with IPC_SET, as httpd does (cuid stays the creator).
    ``value``: SETVAL every semaphore to this value (from this process, so
    GETPID becomes the test process)."""
    require_private_ipc()
    flags = IPC_CREAT | (IPC_EXCL if exclusive and key != IPC_PRIVATE else 0) | (mode & 0o777)
    cu, cg = _uid(creator_uid), _gid(creator_gid)
    if cu is None and cg is None:
        semid = _semget(key, nsems, flags)
    else:
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                os.close(r)
                if cg is not None:
                    os.setgroups([])
                    os.setgid(cg)
                if cu is not None:
                    os.setuid(cu)
                sid = _libc.semget(key, nsems, flags)
                os.write(w, ("%d %d" % (sid, ctypes.get_errno())).encode())
            finally:
                os._exit(0)
        os.close(w)
        with os.fdopen(r) as f:
            data = f.read()
        os.waitpid(pid, 0)
        sid, err = (int(x) for x in data.split())
        if sid == -1:
            raise OSError(err, "semget as uid %r: %s" % (cu, os.strerror(err)))
        semid = sid
    if uid is not None or gid is not None:
        _ipc_set_owner(semid, _uid(uid), _gid(gid))
    if value is not None:
        for n in range(nsems):
            set_value(semid, value, n)
    return semid


def set_value(semid, value, semnum=0):
    """SETVAL (GETPID of that semaphore becomes this process)."""
    require_private_ipc()
    _semctl(semid, semnum, SETVAL, int(value))


def get_value(semid, semnum=0):
    """GETVAL via semctl."""
    require_private_ipc()
    return _semctl(semid, semnum, GETVAL)


def get_pid(semid, semnum=0):
    """GETPID via semctl: the pid of the last semop/SETVAL on that semaphore."""
    require_private_ipc()
    return _semctl(semid, semnum, GETPID)


def remove_set(semid):
    """IPC_RMID.  Raises OSError (e.g. EINVAL if already gone)."""
    require_private_ipc()
    _semctl(semid, 0, IPC_RMID)


def remove_all_sets():
    """Remove every set in the (private) namespace; returns how many."""
    n = 0
    for s in sem_sets():
        try:
            remove_set(s["semid"])
            n += 1
        except OSError as e:
            if e.errno not in (errno.EINVAL, errno.EIDRM):
                raise
    return n


class SemHolder:
    """A live child process that has done ``semop`` on a set and sleeps:
    another program "holding" (or merely using) a semaphore.

    ``op=-1`` with ``undo=True`` takes a binary semaphore like APR's lock; the
    kernel undoes it when the holder exits.  ``user``/``group`` (name or id)
    make the holder run as that user.  ``wait=True`` waits until the semop
    returned (raises AssertionError after ``timeout``); with ``wait=False`` the
    holder may stay blocked in semop (visible as ncount).

    ``release()`` lets it exit normally; ``kill()`` SIGKILLs it.  Holders are
    killed automatically at the end of the test."""

    def __init__(self, semid, semnum=0, op=-1, undo=True, user=None, group=None,
                 wait=True, timeout=10.0):
        require_private_ipc()
        self.semid, self.semnum, self.op = semid, semnum, op
        flags = SEM_UNDO if undo else 0
        u, g = _uid(user), _gid(group)
        cmd = [sys.executable, os.path.abspath(__file__), "--hold", str(semid),
               str(semnum), str(op), str(flags),
               "-" if u is None else str(u), "-" if g is None else str(g)]
        self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pid = self.proc.pid
        _register(self)
        if wait:
            self.wait_ready(timeout)

    def wait_ready(self, timeout=10.0):
        """Wait for the holder's semop to complete."""
        r, _, _ = select.select([self.proc.stdout], [], [], timeout)
        line = self.proc.stdout.readline() if r else ""
        if line.strip() != "ready":
            err = ""
            if self.proc.poll() is not None:
                err = self.proc.stderr.read()
            self.kill()
            raise AssertionError("semaphore holder on set %d did not get ready within "
                                 "%.1fs: %r %s" % (self.semid, timeout, line, err))

    def wait_blocked(self, timeout=10.0):
        """For ``wait=False``: wait until a process sleeps in semop on this
        semaphore (its ncount, or zcount for op 0, is at least 1)."""
        key = "zcount" if self.op == 0 else "ncount"
        wait_for(lambda: sem_values(self.semid)[self.semnum][key] >= 1, timeout=timeout,
                 what="holder %d to block on set %d" % (self.pid, self.semid))

    def alive(self):
        """True while the holder process runs."""
        return self.proc.poll() is None

    def release(self, timeout=5.0):
        """Close its stdin: it exits normally (SEM_UNDO is applied)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.kill()

    def kill(self):
        """SIGKILL the holder and reap it."""
        if self.proc.poll() is None:
            self.proc.kill()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                pass
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                f.close()
            except OSError:
                pass

    cleanup = kill


def hold_set(semid, **kw):
    """Shorthand for ``SemHolder(semid, **kw)``."""
    return SemHolder(semid, **kw)


def _holder_main(argv):
    semid, semnum, op, flags = (int(x) for x in argv[:4])
    uid, gid = argv[4], argv[5]
    if gid != "-":
        os.setgroups([])
        os.setgid(int(gid))
    if uid != "-":
        os.setuid(int(uid))
    buf = _Sembuf(semnum, op, flags)
    if _libc.semop(semid, ctypes.byref(buf), 1) == -1:
        e = ctypes.get_errno()
        sys.stderr.write("semop: %s\n" % os.strerror(e))
        sys.exit(1)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    sys.stdin.read()


# --------------------------------------------------------------------------
# per-test context
# --------------------------------------------------------------------------

class _Context:
    def __init__(self, script, name, keep):
        self.script, self.name, self.keep = script, name, keep
        self.dir = os.path.join(build_dir(), "itest", script, name)
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
        if isinstance(obj, Server):
            _CURRENT.servers.append(obj)


# --------------------------------------------------------------------------
# HTTP
# --------------------------------------------------------------------------

Response = collections.namedtuple("Response", "status headers body")
Response.__doc__ = ("HTTP answer: status int, headers (http.client.HTTPMessage, "
                    "case-insensitive .get), body str (utf-8, errors replaced).")


def _http_get(port, path="/", tls=False, timeout=5.0, host="127.0.0.1"):
    if tls:
        ctx = _ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = _ssl.CERT_NONE
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=ctx)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        resp = conn.getresponse()
        body = resp.read()
        return Response(resp.status, resp.msg, body.decode("utf-8", "replace"))
    finally:
        conn.close()


def _free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------
# TLS material (once per build dir)
# --------------------------------------------------------------------------

def _ssl_material():
    d = os.path.join(build_dir(), "itest", "_ssl")
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (os.path.isfile(cert) and os.path.isfile(key)):
            tcert, tkey = cert + ".tmp", key + ".tmp"
            r = subprocess.run(
                ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes",
                 "-days", "3650", "-subj", "/CN=localhost",
                 "-addext", "basicConstraints=critical,CA:FALSE",
                 "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                 "-keyout", tkey, "-out", tcert],
                capture_output=True, text=True, timeout=60)
            if r.returncode != 0:
                raise HarnessError("openssl req failed:\n" + r.stderr)
            os.chmod(tkey, 0o600)
            os.rename(tkey, key)
            os.rename(tcert, cert)
    return cert, key


# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

StartResult = collections.namedtuple(
    "StartResult", "ok returncode output log elapsed parent reason")
StartResult.__doc__ = """Outcome of Server.start().

ok: the server answered HTTP; returncode: exit status of ``apache2 -k start``
(0 also when the detached parent died later); output: its stdout+stderr
(only errors before the error log is opened land here); log: the error log
written since this start; elapsed: seconds until answered/failed; parent: pid
of the running parent or None; reason: "answered", "apache2 -k start exited N",
"the server exited after detaching", "no answer within Ns (killed)" or
"apache2 -k start hung (killed)"."""

ServerPids = collections.namedtuple("ServerPids", "parent children")
ServerPids.__doc__ = """Processes of one server: parent pid (None if dead) and
children (every other httpd process of this server root, including orphans,
plus their descendants such as the RewriteMap program)."""

_LEVEL_RE = re.compile(r"^\[[^\]]*\] \[([^\]:]*):([a-z0-9]+)\]")
_BAD_LEVELS = {"emerg", "alert", "crit", "error", "warn"}


class Server:
    """One apache2 instance with a generated server root.

    The root is ``$SEMGUARD_BUILD_DIR/itest/<script>/<test>/<n>`` with conf/,
    logs/ (error.log, access.log, start-N.out), run/ (pid file, runtime dir,
    ssl cache) and htdocs/index.html.  Ports are free 127.0.0.1 ports.

    Parameters (all keyword; defaults give the reference configuration of
    the leak reproduction plus the module):

    module      load mod_semguard (``LoadModule semguard_module
                $SEMGUARD_MODULE``); False for stock httpd.
    module_position  "debian" (alphabetical among the LoadModules, as
                a2enmod's mods-enabled/semguard.load would be), "first" or
                "last".
    mutex       "sysvsem" -> ``Mutex sysvsem default``; any other mechanism
                name likewise; None -> no Mutex line (Debian's APR default
                is pthread).
    listens     number of ``Listen 127.0.0.1:PORT`` (2 gives prefork an
                accept mutex).
    ssl         mod_ssl + socache_shmcb, ``SSLSessionCache
                shmcb:<root>/run/ssl_scache(512000)``, a self-signed cert
                (made once per build dir), SSL VirtualHost on the 2nd Listen.
    rewrite_map mod_rewrite, ``RewriteEngine On``, ``RewriteMap upper
                prg:/bin/cat`` (creates the rewrite-map mutex).
    status      mod_status at /server-status.
    user, group httpd's User/Group.
    mpm         "prefork", "worker" or "event".
    start_servers  StartServers (small to keep it light).
    log_level   LogLevel value, e.g. "notice" or "notice semguard:debug".
    extra       raw config lines appended at the end (e.g. SemGuard directives).
    env         extra environment variables for apache2.

    Modules are loaded in Debian's order (alphabetical, as mods-enabled):
    mod_rewrite's post_config runs before mod_ssl's, so on ENOSPC the
    rewrite-map mutex is the one that fails, like on a stock Debian setup.

    Attributes: ``root``, ``conf_path``, ``error_log_path``,
    ``access_log_path``, ``pid_file``, ``ports`` (``port`` is the first,
    ``ssl_port`` the SSL one), ``token`` (a string in htdocs/index.html),
    ``params``, ``starts`` (number of start() calls), ``start_mark`` (error
    log offset of the latest start).  ``name`` defaults to 1, 2, ... per test.

    Every wait is bounded; every Server made during a test is cleaned up
    (stopped, else killed) when the test ends, and its config and error log
    tail are printed if the test failed."""

    _PARAMS = dict(module=True, module_position="debian", mutex="sysvsem",
                   listens=2, ssl=True, rewrite_map=True, status=True,
                   user="nobody", group="nogroup", mpm="prefork",
                   start_servers=3, log_level="notice", extra="", env=None)

    def __init__(self, name=None, **params):
        unknown = set(params) - set(self._PARAMS)
        if unknown:
            raise TypeError("unknown Server parameter(s): %s" % ", ".join(sorted(unknown)))
        self.params = dict(self._PARAMS)
        self.params.update(params)
        ctx = _CURRENT
        if ctx is not None:
            ctx.counter += 1
            base = ctx.dir
            n = ctx.counter
        else:
            base = os.path.join(build_dir(), "itest", "_adhoc", str(os.getpid()))
            n = len(os.listdir(base)) + 1 if os.path.isdir(base) else 1
        self.name = name or str(n)
        self.root = os.path.join(base, self.name)
        if os.path.exists(self.root):
            shutil.rmtree(self.root)
        for sub in ("conf", "logs", "run", "htdocs"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        _make_traversable(self.root)
        self.conf_path = os.path.join(self.root, "conf", "httpd.conf")
        self.error_log_path = os.path.join(self.root, "logs", "error.log")
        self.access_log_path = os.path.join(self.root, "logs", "access.log")
        self.pid_file = os.path.join(self.root, "run", "httpd.pid")
        self.token = "semguard-itest %s/%s" % (current_test() or "adhoc", self.name)
        with open(os.path.join(self.root, "htdocs", "index.html"), "w") as f:
            f.write("<html><body>%s</body></html>\n" % self.token)
        os.chmod(os.path.join(self.root, "htdocs", "index.html"), 0o644)
        open(self.error_log_path, "a").close()
        self.ports = []
        self.starts = 0
        self.start_mark = 0
        self.last_parent = None
        self.write_config()
        _register(self)

    # ---- configuration ---------------------------------------------------

    @property
    def port(self):
        """The first Listen port (plain HTTP)."""
        return self.ports[0]

    @property
    def ssl_port(self):
        """The SSL VirtualHost's port (second Listen), or None."""
        return self.ports[1] if self.params["ssl"] else None

    def reconfigure(self, **params):
        """Change parameters and rewrite conf/httpd.conf (ports are kept;
        more Listens get new ports).  Takes effect at the next start/restart."""
        unknown = set(params) - set(self._PARAMS)
        if unknown:
            raise TypeError("unknown Server parameter(s): %s" % ", ".join(sorted(unknown)))
        self.params.update(params)
        self.write_config()

    def write_config(self):
        """(Re)generate conf/httpd.conf from ``self.params``."""
        p = self.params
        if p["ssl"] and p["listens"] < 2:
            raise ValueError("ssl=True needs listens >= 2 (SSL is on the second Listen)")
        while len(self.ports) < p["listens"]:
            port = _free_port()
            if port not in self.ports:
                self.ports.append(port)
        with open(self.conf_path, "w") as f:
            f.write(self._render())

    def config(self):
        """The current conf/httpd.conf text."""
        with open(self.conf_path) as f:
            return f.read()

    def _render(self):
        p, root = self.params, self.root
        mods = {"authz_core": "mod_authz_core.so", "dir": "mod_dir.so",
                "mime": "mod_mime.so",
                "mpm_" + p["mpm"]: "mod_mpm_%s.so" % p["mpm"]}
        if p["rewrite_map"]:
            mods["rewrite"] = "mod_rewrite.so"
        if p["ssl"]:
            mods["socache_shmcb"] = "mod_socache_shmcb.so"
            mods["ssl"] = "mod_ssl.so"
        if p["status"]:
            mods["authz_host"] = "mod_authz_host.so"     # Require ip
            mods["status"] = "mod_status.so"
        load = ["LoadModule %s_module %s/%s" % (m, MODULE_DIR, mods[m]) for m in sorted(mods)]
        if p["module"]:
            line = "LoadModule semguard_module %s" % module_path()
            pos = p["module_position"]
            if pos == "first":
                load.insert(0, line)
            elif pos == "last":
                load.append(line)
            elif pos == "debian":
                names = sorted(list(mods) + ["semguard"])
                load.insert(names.index("semguard"), line)
            else:
                raise ValueError("module_position must be debian, first or last")
        L = []
        a = L.append
        a("# generated by tests/integration/harness.py for test %s" % (current_test() or "-"))
        a("ServerRoot %s" % root)
        a("ServerName localhost")
        a("DefaultRuntimeDir %s/run" % root)
        a("PidFile %s" % self.pid_file)
        a("ErrorLog %s" % self.error_log_path)
        a("LogLevel %s" % p["log_level"])
        a('LogFormat "%h %l %u %t \\"%r\\" %>s %b" common')
        a("CustomLog %s common" % self.access_log_path)
        a("")
        L.extend(load)
        a("")
        a("User %s" % p["user"])
        a("Group %s" % p["group"])
        if p["mutex"]:
            a("Mutex %s default" % p["mutex"])
        a("Timeout 10")
        a("KeepAlive Off")
        a("GracefulShutdownTimeout 3")
        n = int(p["start_servers"])
        if p["mpm"] == "prefork":
            a("StartServers %d" % n)
            a("MinSpareServers %d" % max(1, min(n, 2)))
            a("MaxSpareServers %d" % max(n + 1, 4))
            a("ServerLimit %d" % max(n + 5, 8))
            a("MaxRequestWorkers %d" % max(n + 5, 8))
        elif p["mpm"] in ("worker", "event"):
            a("StartServers %d" % n)
            a("ServerLimit %d" % (n + 2))
            a("ThreadLimit 4")
            a("ThreadsPerChild 4")
            a("MinSpareThreads 4")
            a("MaxSpareThreads %d" % (4 * (n + 2)))
            a("MaxRequestWorkers %d" % (4 * (n + 2)))
        else:
            raise ValueError("mpm must be prefork, worker or event")
        a("MaxConnectionsPerChild 0")
        for port in self.ports[:p["listens"]]:
            a("Listen 127.0.0.1:%d" % port)
        a("")
        a("TypesConfig /dev/null")
        a("AddType text/html .html")
        a("DocumentRoot %s/htdocs" % root)
        a("DirectoryIndex index.html")
        a("<Directory />")
        a("    AllowOverride None")
        a("    Require all denied")
        a("</Directory>")
        a("<Directory %s/htdocs>" % root)
        a("    Require all granted")
        a("</Directory>")
        if p["status"]:
            a("<Location /server-status>")
            a("    SetHandler server-status")
            a("    Require ip 127.0.0.1")
            a("</Location>")
        if p["rewrite_map"]:
            a("RewriteEngine On")
            a("RewriteMap upper prg:/bin/cat")
        if p["ssl"]:
            cert, key = _ssl_material()
            a("SSLSessionCache shmcb:%s/run/ssl_scache(512000)" % root)
            a("<VirtualHost 127.0.0.1:%d>" % self.ports[1])
            a("    ServerName localhost")
            a("    SSLEngine on")
            a("    SSLCertificateFile %s" % cert)
            a("    SSLCertificateKeyFile %s" % key)
            a("</VirtualHost>")
        if p["extra"]:
            a("")
            a("# extra")
            L.extend(p["extra"].rstrip("\n").split("\n"))
        return "\n".join(L) + "\n"

    # ---- processes -------------------------------------------------------

    def _env(self):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        if os.environ.get("SEMGUARD_HTTPD_PRELOAD"):
            env["LD_PRELOAD"] = os.environ["SEMGUARD_HTTPD_PRELOAD"]
        env.update(self.params["env"] or {})
        return env

    def _cmd(self, *extra):
        return [APACHE2, "-d", self.root, "-f", self.conf_path] + list(extra)

    def _is_mine(self, proc):
        c = proc.cmdline
        return bool(c) and os.path.basename(c[0]) in ("apache2", "httpd") and \
            any(c[i] == "-f" and c[i + 1] == self.conf_path for i in range(len(c) - 1))

    def _pidfile_pid(self):
        try:
            with open(self.pid_file) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _tree(self):
        """(procs by pid, httpd pids, parent) for live processes of this server."""
        procs = {p.pid: p for p in processes() if p.state != "Z"}
        mine = {pid for pid, p in procs.items() if self._is_mine(p)}
        # descendants (RewriteMap programs, CGI, ...) by ppid walk
        tree = set(mine)
        changed = True
        while changed:
            changed = False
            for pid, p in procs.items():
                if pid not in tree and p.ppid in tree:
                    tree.add(pid)
                    changed = True
        parent = None
        pf = self._pidfile_pid()
        if pf in mine and procs[pf].ppid not in mine:
            parent = pf
        else:
            roots = [pid for pid in mine if procs[pid].uid == 0 and procs[pid].ppid not in mine]
            if len(roots) == 1:
                parent = roots[0]
        if parent is not None:   # same process group (setsid at detach)
            for pid, p in procs.items():
                if p.pgid == parent and pid != os.getpid():
                    tree.add(pid)
        return procs, tree, parent

    def pids(self):
        """``ServerPids(parent, children)`` of live (non-zombie) processes."""
        _, tree, parent = self._tree()
        return ServerPids(parent, sorted(tree - {parent}))

    def running(self):
        """True if any process of this server is alive."""
        return bool(self._tree()[1])

    def _family(self, parent):
        """Live processes of ``parent``'s process group (httpd's setsid at
        detach makes the parent a group leader) and its descendants; orphans
        of an earlier parent of this server are not included."""
        procs = {p.pid: p for p in processes() if p.state != "Z"}
        fam = {pid for pid, p in procs.items() if p.pgid == parent or pid == parent}
        changed = True
        while changed:
            changed = False
            for pid, p in procs.items():
                if pid not in fam and p.ppid in fam:
                    fam.add(pid)
                    changed = True
        fam.discard(os.getpid())
        return fam

    def _wait_gone(self, pids, timeout, what, whole_tree=False, family=None, kill=False):
        """Wait until ``pids`` are dead; with ``whole_tree`` also until no
        process of this server is left, with ``family`` until no process of
        that parent's family is left (children forked meanwhile); with
        ``kill`` SIGKILL whatever is still found on each round."""
        deadline = time.monotonic() + timeout
        while True:
            left = {p for p in pids if not _reaped(p)}
            if whole_tree:
                left |= self._tree()[1]
            if family is not None:
                left |= self._family(family)
            if not left:
                return
            if time.monotonic() > deadline:
                raise AssertionError("%s: processes %s still alive after %.1fs\n%s"
                                     % (what, sorted(left), timeout, self._diag()))
            if kill:
                _kill_pids(sorted(left))
            _reap_own_children()
            time.sleep(0.02)

    # ---- lifecycle -------------------------------------------------------

    def _probe(self, timeout=2.0):
        try:
            return _http_get(self.port, "/", timeout=timeout)
        except (OSError, http.client.HTTPException):
            return None

    def start(self, expect_ok=True, timeout=30.0, remove_stale_pidfile=False):
        """Run ``apache2 -d ROOT -f ROOT/conf/httpd.conf -k start`` and wait
        until the parent answers ``GET /`` on the first port, or until every
        process this start made is gone (failed start), or ``timeout``.

        ``expect_ok``: True -> AssertionError (with output and error log tail)
        unless it came up; False -> AssertionError if it came up; None -> no
        check.  Returns a ``StartResult``.  A stale pid file (after kill9) is
        left in place unless ``remove_stale_pidfile``: httpd then logs
        AH00098 (see CRASH_NOISE).  Orphaned children of an earlier parent
        (kill9_parent_only) may still run; a live parent is an error.

        If a port was taken by another program meanwhile ("Address already in
        use") while no process of this server runs, new ports are chosen and
        the start is retried (twice at most).  With orphans of this server
        alive there is no retry: they hold the ports, as in real life."""
        require_private_ipc()
        for attempt in range(3):
            ours = bool(self._tree()[1])
            res = self._start_once(timeout, remove_stale_pidfile)
            text = res.output + res.log
            if res.ok or ours or "(98)Address already in use" not in text or attempt == 2:
                break
            print("    NOTE: server %s: ports %s taken by another program, retrying with new ports"
                  % (self.name, self.ports), flush=True)
            self.ports = []
            self.write_config()
        self._check_start(res, expect_ok)
        return res

    def _start_once(self, timeout, remove_stale_pidfile):
        if self.pids().parent is not None:
            raise AssertionError("start(): server %s is already running: %s"
                                 % (self.name, self.pids()))
        before = self._tree()[1]
        if remove_stale_pidfile and os.path.exists(self.pid_file):
            os.unlink(self.pid_file)
        self.starts += 1
        self.start_mark = self._log_size()
        out_path = os.path.join(self.root, "logs", "start-%d.out" % self.starts)
        t0 = time.monotonic()
        with open(out_path, "w") as out:
            try:
                rc = subprocess.run(self._cmd("-k", "start"), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, env=self._env(),
                                    cwd=self.root, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                rc = None
        with open(out_path) as f:
            output = f.read()
        ok, parent = False, None
        deadline = t0 + timeout
        reason = ("apache2 -k start hung (killed)" if rc is None else
                  "apache2 -k start exited %d" % rc)
        seen = set()
        if rc == 0:
            reason = "no answer within %.0fs (killed)" % timeout
            while time.monotonic() < deadline:
                _, tree, parent = self._tree()
                seen |= tree - before
                if parent is not None and self._pidfile_pid() == parent and self._probe():
                    ok, reason = True, "answered"
                    break
                if not tree - before:
                    parent, reason = None, "the server exited after detaching"
                    if "already running" in output:
                        reason = "apache2 -k start: " + output.strip()
                    break
                time.sleep(0.05)
        if not ok:
            # a failed or hung start: make sure nothing it made is left
            # running (bounded wait; a hung one is killed)
            def new_procs():
                return self._tree()[1] - before
            try:
                wait_for(lambda: not new_procs() and all(_reaped(p) for p in seen),
                         timeout=max(1.0, deadline - time.monotonic()),
                         what="failed start to exit")
            except AssertionError:
                left = sorted(new_procs() | seen)
                _kill_pids(left)
                self._wait_gone(left, 10, "killing a hung start", kill=True)
            parent = None
        elapsed = time.monotonic() - t0
        self.last_parent = parent
        return StartResult(ok, rc, output, self.error_log(since=self.start_mark), elapsed,
                           parent, reason)

    def _check_start(self, res, expect_ok):
        ok, output = res.ok, res.output
        if expect_ok is True and not ok:
            raise AssertionError("start #%d of server %s failed: %s\n--- start output:\n%s"
                                 "\n--- error log since start:\n%s"
                                 % (self.starts, self.name, res.reason, _indent(output or "(none)"),
                                    _indent(_tail(res.log) or "(empty)")))
        if expect_ok is False and ok:
            raise AssertionError("start #%d of server %s succeeded but was expected to fail"
                                 "\n--- error log since start:\n%s"
                                 % (self.starts, self.name, _indent(_tail(res.log))))

    def _require_parent(self):
        parent = self.pids().parent
        if parent is None:
            raise AssertionError("server %s has no live parent\n%s" % (self.name, self._diag()))
        return parent

    def _signal_restart(self, sig, what, expect_ok, timeout):
        parent = self._require_parent()
        mark = self._log_size()
        t0 = time.monotonic()
        os.kill(parent, sig)
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if not pid_alive(parent):
                if expect_ok is True:
                    raise AssertionError("%s: parent %d exited\n%s" % (what, parent, self._diag(mark)))
                self._wait_gone([parent], 10, what, family=parent)
                return False
            if _RESUMING in self.error_log(since=mark) and self._probe():
                if expect_ok is False:
                    raise AssertionError("%s: expected the parent to exit, but the new "
                                         "generation is served\n%s" % (what, self._diag(mark)))
                return True
            time.sleep(0.05)
        raise AssertionError("%s: neither a new generation nor an exit within %.1fs\n%s"
                             % (what, timeout, self._diag(mark)))

    def graceful(self, expect_ok=True, timeout=30.0):
        """SIGUSR1 (``-k graceful``); wait until the new generation is served
        ("resuming normal operations" logged and GET / answers).  With
        ``expect_ok=False`` wait for the parent to exit instead.  Returns True
        if the new generation came up, False if the parent exited."""
        return self._signal_restart(signal.SIGUSR1, "graceful", expect_ok, timeout)

    def restart(self, expect_ok=True, timeout=30.0):
        """SIGHUP (``-k restart``); like ``graceful``."""
        return self._signal_restart(signal.SIGHUP, "restart", expect_ok, timeout)

    def stop(self, timeout=20.0):
        """SIGTERM to the parent (``-k stop``); wait until the parent and
        its children are gone (orphans of an earlier, killed parent are left
        alone: ``kill9`` or the end of the test removes them).  Returns
        elapsed seconds."""
        t0 = time.monotonic()
        _, tree, parent = self._tree()
        if parent is None:
            raise AssertionError("stop(): server %s has no live parent (processes: %s)\n%s"
                                 % (self.name, sorted(tree), self._diag()))
        fam = self._family(parent)
        os.kill(parent, signal.SIGTERM)
        self._wait_gone(fam, timeout, "stop", family=parent)
        return time.monotonic() - t0

    def graceful_stop(self, timeout=20.0):
        """SIGWINCH (``-k graceful-stop``); wait like ``stop``."""
        t0 = time.monotonic()
        _, tree, parent = self._tree()
        if parent is None:
            raise AssertionError("graceful_stop(): no live parent\n" + self._diag())
        fam = self._family(parent)
        os.kill(parent, signal.SIGWINCH)
        self._wait_gone(fam, timeout, "graceful_stop", family=parent)
        return time.monotonic() - t0

    def kill9(self, timeout=10.0):
        """SIGKILL the parent and every other process of this server (httpd
        children, orphans, RewriteMap program): a crash that runs no cleanup.
        Waits until all are gone; returns the killed pids.  The pid file
        stays, as after a real crash.

        The parent is SIGSTOPped first so that it cannot fork a child
        between the /proc scan and the kill; nothing runs in between, so it
        is still a crash without any cleanup."""
        _, tree, parent = self._tree()
        if parent is not None:
            _kill_pids([parent], signal.SIGSTOP)
            wait_for(lambda: _proc_state(parent) in ("T", "t", None, "Z"), timeout=5,
                     what="parent %d to stop" % parent)
            _, tree, _ = self._tree()
            tree.add(parent)
        order = ([parent] if parent else []) + sorted(tree - {parent})
        _kill_pids(order)
        self._wait_gone(order, timeout, "kill9", whole_tree=True, kill=True)
        return order

    def kill9_parent_only(self, timeout=10.0):
        """SIGKILL only the parent; returns the pids of its surviving
        children (now orphans of PID 1)."""
        parent = self._require_parent()
        children = self.pids().children
        _kill_pids([parent])
        self._wait_gone([parent], timeout, "kill9_parent_only")   # reaped by PID 1
        return [c for c in children if pid_alive(c)]

    def cleanup(self):
        """Stop the server if anything of it runs (kill -9 if stop fails).
        Called automatically at the end of each test."""
        if not self.running():
            return
        try:
            if self.pids().parent is not None:
                self.stop(timeout=15)
        except AssertionError:
            pass
        if self.running():
            self.kill9()

    # ---- HTTP ------------------------------------------------------------

    def get(self, path="/", port=None, tls=None, timeout=5.0):
        """GET ``path`` from 127.0.0.1:``port`` (default: first port).
        ``tls`` defaults to True for the SSL port.  Returns ``Response``
        (status, headers, body); raises OSError/HTTPException on failure."""
        port = port or self.port
        if tls is None:
            tls = port == self.ssl_port
        return _http_get(port, path, tls=tls, timeout=timeout)

    def server_status(self):
        """/server-status?auto as a dict (needs status=True)."""
        r = self.get("/server-status?auto")
        if r.status != 200:
            raise AssertionError("server-status answered %d" % r.status)
        out = {}
        for line in r.body.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                out[k.strip()] = v.strip()
        return out

    # ---- logs ------------------------------------------------------------

    def _log_size(self):
        try:
            return os.path.getsize(self.error_log_path)
        except OSError:
            return 0

    def log_mark(self):
        """Current size of the error log, for ``error_log(since=...)``."""
        return self._log_size()

    def error_log(self, since=None, since_start=False):
        """Error log text: everything, or from byte offset ``since``, or
        (``since_start=True``) from the latest start()."""
        if since_start:
            since = self.start_mark
        try:
            with open(self.error_log_path, "rb") as f:
                if since:
                    f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_lines(self, tag, since=None, since_start=False):
        """Error log lines containing ``tag`` (plain substring, e.g. "SG0110")."""
        return [l for l in self.error_log(since, since_start).splitlines() if tag in l]

    def assert_log_clean(self, allowed=(), since=None, since_start=False,
                         allow_environment_noise=True):
        """Fail on any error/warn/crit/alert/emerg line, and on any
        unformatted line (raw stderr: sanitizer reports, AH00016 ...), unless
        it matches one of ``allowed`` (regular expressions searched in the
        line, e.g. "SG0110", "AH00023").  ENVIRONMENT_NOISE is allowed unless
        ``allow_environment_noise=False``."""
        pats = [re.compile(p) for p in allowed]
        if allow_environment_noise:
            pats += [re.compile(p) for p in ENVIRONMENT_NOISE]
        bad = []
        for line in self.error_log(since, since_start).splitlines():
            if not line.strip():
                continue
            m = _LEVEL_RE.match(line)
            if m and m.group(2) not in _BAD_LEVELS:
                continue
            if any(p.search(line) for p in pats):
                continue
            bad.append(line)
        if bad:
            raise AssertionError("error log of server %s has %d unexpected line(s):\n%s"
                                 % (self.name, len(bad), _indent("\n".join(bad[:40]))))

    # ---- diagnostics -----------------------------------------------------

    def _diag(self, since=None):
        text = self.error_log(since)
        return "--- error log%s of %s:\n%s" % (" (since mark)" if since else "", self.root,
                                               _indent(_tail(text) or "(empty)"))

    def describe(self):
        """Everything useful after a failure: root, ports, processes,
        config, start outputs and the error log tail."""
        parts = ["server %s: root %s ports %s starts %d" % (self.name, self.root, self.ports, self.starts)]
        try:
            parts.append("processes: %s" % (self.pids(),))
        except Exception as e:     # diagnostics must not raise
            parts.append("processes: ? (%s)" % e)
        parts.append("--- %s:\n%s" % (self.conf_path, _indent(self.config())))
        for n in range(max(1, self.starts - 1), self.starts + 1):
            p = os.path.join(self.root, "logs", "start-%d.out" % n)
            if os.path.exists(p):
                with open(p) as f:
                    body = f.read().strip()
                if body:
                    parts.append("--- start-%d.out:\n%s" % (n, _indent(body)))
        parts.append(self._diag())
        return "\n".join(parts)

    def __repr__(self):
        return "<Server %s %s ports=%s>" % (self.name, self.root, self.ports)


def _make_traversable(path):
    """httpd's children (User nobody) must reach htdocs: make the server
    root and the harness-made parents world-traversable, warn otherwise."""
    os.chmod(path, 0o755)
    for sub in ("conf", "logs", "run", "htdocs"):
        os.chmod(os.path.join(path, sub), 0o755)
    p = os.path.dirname(path)
    top = build_dir()
    while p.startswith(top) and len(p) >= len(top):
        try:
            os.chmod(p, os.stat(p).st_mode | 0o005)
        except OSError:
            pass
        if p == top:
            break
        p = os.path.dirname(p)
    p = top
    while p != "/":
        if not os.stat(p).st_mode & 0o001:
            sys.stderr.write("WARNING: %s is not world-traversable; httpd's User "
                             "cannot read htdocs (GET / will be 403)\n" % p)
            break
        p = os.path.dirname(p)


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
    global _VERIFIED_IPC_NS, _DEFAULT_LIMITS
    problems = _verify_fresh_namespace()
    if problems:
        _fail_all(tests, "refusing to run: not in a fresh private namespace: %s"
                  % "; ".join(problems))
    if os.geteuid() != 0:
        _fail_all(tests, "not root inside the namespace")
    os.umask(0o022)
    _VERIFIED_IPC_NS = _ns_inode("ipc")
    with open("/proc/sys/kernel/sem") as f:
        _DEFAULT_LIMITS = tuple(int(x) for x in f.read().split())
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
    d = os.path.join(build_dir(), "itest")
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
    if get_sem_limits() != _DEFAULT_LIMITS:
        with open("/proc/sys/kernel/sem", "w") as f:
            f.write("%d %d %d %d\n" % _DEFAULT_LIMITS)
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
    global _CURRENT
    passed = failed = skipped = 0
    for fn in tests:
        name = fn.__name__
        ctx = _Context(script, name, keep)
        if os.path.isdir(ctx.dir):
            shutil.rmtree(ctx.dir, ignore_errors=True)
        os.makedirs(ctx.dir, exist_ok=True)
        _reset_namespace()
        _CURRENT = ctx
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
        _CURRENT = None
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


if __name__ == "__main__":
    if len(sys.argv) >= 2 and sys.argv[1] == "--hold":
        _holder_main(sys.argv[2:])
    else:
        print(__doc__)
