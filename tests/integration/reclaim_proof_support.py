"""Helpers for test_reclaim_proof.py: what an adversary does to the proof
(an IPC_SET or IPC_RMID on the anchor segment, a forced pid), done with
ctypes inside the test's private IPC and PID namespaces."""

import ctypes
import os

import harness  # noqa: F401  (the caller's harness; re-exported names only)

_libc = ctypes.CDLL(None, use_errno=True)
IPC_RMID, IPC_SET, IPC_STAT = 0, 1, 2
# struct shmid_ds is 112 bytes on x86_64 (120 on some 32-bit ABIs); a larger
# buffer is harmless for IPC_STAT and IPC_SET reads only shm_perm from it.
_SHMID_DS_BYTES = 256


def _check(rc, what):
    if rc < 0:
        e = ctypes.get_errno()
        raise OSError(e, "%s: %s" % (what, os.strerror(e)))
    return rc


def shm_ipc_set_unchanged(shmid):
    """IPC_STAT then IPC_SET with the same owner and mode: the segment's
    ctime moves and nothing else (what `root` can do to any segment)."""
    buf = ctypes.create_string_buffer(_SHMID_DS_BYTES)
    _check(_libc.shmctl(shmid, IPC_STAT, buf), "shmctl(%d, IPC_STAT)" % shmid)
    _check(_libc.shmctl(shmid, IPC_SET, buf), "shmctl(%d, IPC_SET)" % shmid)


def shm_remove(shmid):
    _check(_libc.shmctl(shmid, IPC_RMID, None), "shmctl(%d, IPC_RMID)" % shmid)


def shm_exists(shmid):
    buf = ctypes.create_string_buffer(_SHMID_DS_BYTES)
    return _libc.shmctl(shmid, IPC_STAT, buf) >= 0


def shm_create(key, size, mode=0o600, uid=None):
    """A segment with `key`, created (so cuid = uid) by a forked child that
    switched to `uid` first, as `nobody` squatting our key would."""
    pid = os.fork()
    if pid == 0:
        try:
            if uid is not None:
                os.setgroups([])
                os.setgid(uid)
                os.setuid(uid)
            rc = _libc.shmget(ctypes.c_int(key), ctypes.c_size_t(size), 0o1000 | 0o2000 | mode)
            os._exit(0 if rc >= 0 else 1)
        except BaseException:
            os._exit(2)
    _, status = os.waitpid(pid, 0)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, "shmget(%#x) failed" % key
    shmid = _libc.shmget(ctypes.c_int(key), ctypes.c_size_t(0), 0)
    return _check(shmid, "shmget(%#x, 0, 0)" % key)


def force_next_pid(pid):
    """The next process forked in this PID namespace gets `pid` (if free)."""
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))


def _fnv1a_64(data):
    h = 0xcbf29ce484222325
    for b in data:
        h = ((h ^ b) * 0x100000001b3) & 0xffffffffffffffff
    return h


def rewrite_state_file(path, replace):
    """Apply replace(line) -> line to every header/set line of a state file and
    write it back with a valid `end` line: a record as a crash at another
    moment would have left it (e.g. phase starting: killed during a restart)."""
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines[-1].startswith("end "), lines[-1:]
    body = [lines[0]] + [replace(l) for l in lines[1:-1]]
    text = "".join(l + "\n" for l in body)
    text += "end %d %016x\n" % (len(body), _fnv1a_64(text.encode()))
    tmp = path + ".edit"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o600)
    os.rename(tmp, path)


shm_segments = harness.shm_segments


def segment(shmid):
    return next((s for s in shm_segments() if s["shmid"] == shmid), None)
