"""SysV semaphores, only inside the private IPC namespace the runner verified."""

import ctypes
import ctypes.util
import errno
import grp
import json
import os
import pwd
import re
import select
import subprocess
import sys

from .common import (_HERE, HarnessError, timeout, wait_for, _ns_inode, _register)

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


# The module's anchor segment: kAnchorBytes in mod_semguard/core/run/anchor_home.h,
# made by root (the parent before it drops privileges), keyed by the instance
# or private when every key slot is taken.
ANCHOR_BYTES = 256 * 1024


def shm_segments():
    """Every SysV shared memory segment, parsed from /proc/sysvipc/shm: dicts
    of ints (key, shmid, perms, size, cpid, lpid, nattch, uid, gid, cuid, ...;
    fields that are not integers are left out)."""
    require_private_ipc()
    with open("/proc/sysvipc/shm") as f:
        lines = f.read().splitlines()
    head = lines[0].split()
    return [{k: int(v) for k, v in zip(head, l.split()) if v.lstrip("-").isdigit()}
            for l in lines[1:] if l.strip()]


def anchor_segments():
    """The ``shm_segments()`` that look like the module's anchors."""
    return [g for g in shm_segments() if g["size"] == ANCHOR_BYTES and g["cuid"] == 0]


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
        cmd = [sys.executable, "-c", _HOLDER_CMD, _HERE, str(semid),
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


# A holder process runs this: argv[1] is the folder holding the package, the
# rest is what _holder_main reads.
_HOLDER_CMD = ("import sys; sys.path.insert(0, sys.argv.pop(1)); "
               "from harness.ipc import _holder_main; _holder_main(sys.argv[1:])")


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
