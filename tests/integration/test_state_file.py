"""A damaged or untrusted state file never leads to a removal.

Each test: start the reference server with mod_semguard, kill -9 all of it
(3 sets leak and the state file lists them), remove the crashed run's anchor
segment (so the state file is the only record: the copy kept there in the IPC
namespace is used when the file is refused, see test_reclaim_proof.py),
damage the state file, start again.  The start must succeed, the 3 leaked
sets must still be there (unchanged), nothing is reclaimed (no
SG0201/SG0202), and the error log has a clear SG0205 warning that names the
state file and the reason.  Two instances sharing one state file: the
namespace copy of each reclaims its own crash (SG0217), never the other's.

Damages: truncated (mid-line and at a line end), a changed byte, a symlink to
a valid copy, world-writable (chmod 666), owned by nobody, an extra hard link,
huge (5 MiB), a directory in its place, the record of another instance (the
state file of another server copied over ours, and two servers sharing one
SemGuardStateFile), empty.

Run: python3 tests/integration/test_state_file.py [test_name ...]
"""

import os
import pwd
import re
import shutil
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets  # noqa: E402
import reclaim_proof_support as adv  # noqa: E402
from test_reclaim import state_path  # noqa: E402

NOBODY = pwd.getpwnam("nobody")
_IDENTITY = ("key", "semid", "perms", "nsems", "uid", "gid", "cuid", "cgid", "otime", "ctime")


def identities():
    return {s["semid"]: tuple(s[k] for k in _IDENTITY) for s in sem_sets()}


def recorded_semids(text):
    return sorted(int(l.split()[1]) for l in text.splitlines() if l.startswith("set "))


def crashed_server(name=None, keep_anchor=False):
    """A server that ran and was killed with SIGKILL: (server, state path,
    state text, {semid: identity} of the 3 sets it leaked). Unless
    ``keep_anchor``, the run's anchor segment (and the record copy in it) is
    removed: the state file is then the only record of the crash."""
    s = Server(name=name)
    before = set(identities())
    s.start()
    s.kill9()
    if not keep_anchor:
        with open(state_path(s)) as f:
            anchor = int(next(l.split()[1] for l in f if l.startswith("run.anchor_shmid ")))
        adv.shm_remove(anchor)
    leaked = {sid: ident for sid, ident in identities().items() if sid not in before}
    assert len(leaked) == 3, "expected 3 leaked sets, got %r" % leaked
    path = state_path(s)
    with open(path) as f:
        text = f.read()
    assert recorded_semids(text) == sorted(leaked), \
        "state file lists %r, the crash leaked %r" % (recorded_semids(text), sorted(leaked))
    return s, path, text, leaked


def start_refusing_the_record(s, path, reason, leaked, also_kept=(), extra_allowed=(),
                              names_path=True, reclaimed=()):
    """Start ``s`` after its state file at ``path`` was damaged: the start
    succeeds, ``leaked`` (and ``also_kept``) sets are all still there and
    unchanged, nothing is reclaimed, and one SG0205 warning names ``path``
    (unless ``names_path`` is False) and matches the regular expression
    ``reason``. ``reclaimed``: sets of this server's own crash that the
    record kept in the IPC namespace reclaims (SG0217 says so), and only them."""
    r = s.start(expect_ok=None)
    assert r.ok, "start with a damaged state file failed (%s):\n%s\n%s" % (r.reason, r.output, r.log)
    now = identities()
    for sid, ident in list(leaked.items()) + list(dict(also_kept).items()):
        assert sid in now, "set %d was removed although the state file was not trusted:\n%s" % (sid, r.log)
        assert now[sid] == ident, "set %d changed: %r -> %r" % (sid, ident, now[sid])
    for sid in dict(reclaimed):
        assert sid not in now, "set %d of the crash was not reclaimed from the IPC namespace:\n%s" \
            % (sid, r.log)
    assert len(now) == len(leaked) + len(dict(also_kept)) + 3, \
        "expected the kept sets plus 3 new ones, got %r" % sorted(now)
    for tag in ("SG0202", "SG0207") + (() if reclaimed else ("SG0201", "SG0217")):
        assert not s.log_lines(tag, since_start=True), "%s logged:\n%s" % (tag, r.log)
    if reclaimed:
        got = s.log_lines("SG0201", since_start=True)
        assert len(got) == 1 and all(" %d (" % sid in got[0] for sid in dict(reclaimed)), got
        assert s.log_lines("SG0217", since_start=True), "no SG0217:\n%s" % r.log
    warnings = s.log_lines("SG0205", since_start=True)
    assert warnings, "no SG0205 warning for the damaged state file:\n%s" % r.log
    for w in warnings:
        assert "[semguard:warn]" in w, w
    good = [w for w in warnings if (path in w or not names_path) and re.search(reason, w)]
    assert good, ("no SG0205 warning names the state file %s and the reason /%s/; got:\n%s"
                  % (path, reason, "\n".join(warnings)))
    s.assert_log_clean(allowed=harness.CRASH_NOISE + ("SG0205", "SG0217") + tuple(extra_allowed))
    print("    " + good[0].split("] ", 3)[-1])
    return r


# --------------------------------------------------------------------------


def test_truncated_mid_line():
    s, path, text, leaked = crashed_server()
    cut = len(text) // 2
    while text[cut - 1] == "\n":
        cut += 1
    with open(path, "r+") as f:
        f.truncate(cut)
    start_refusing_the_record(s, path, r"truncated", leaked)


def test_truncated_at_line_end():
    s, path, text, leaked = crashed_server()
    lines = text.splitlines(keepends=True)
    with open(path, "w") as f:
        f.write("".join(lines[:-1]))       # without the `end` line
    start_refusing_the_record(s, path, r"truncated", leaked)


def test_byte_changed():
    """One digit of a set's ctime changed: the line still parses, the checksum does not match."""
    s, path, text, leaked = crashed_server()
    lines = text.splitlines(keepends=True)
    i = next(n for n, l in enumerate(lines) if l.startswith("set "))
    fields = lines[i].split(" ")
    ctime = fields[10]
    fields[10] = ctime[:-1] + str((int(ctime[-1]) + 1) % 10)
    lines[i] = " ".join(fields)
    data = "".join(lines)
    assert len(data) == len(text) and data != text
    with open(path, "w") as f:
        f.write(data)
    start_refusing_the_record(s, path, r"checksum", leaked)


def test_symlink_to_valid_copy():
    s, path, text, leaked = crashed_server()
    copy = path + ".copy"
    shutil.copy2(path, copy)
    os.unlink(path)
    os.symlink(copy, path)
    start_refusing_the_record(s, path, r"symbolic link", leaked)


def test_world_writable():
    s, path, text, leaked = crashed_server()
    os.chmod(path, 0o666)
    start_refusing_the_record(s, path, r"writable by group or others \(mode 0666\)", leaked)


def test_owned_by_nobody():
    s, path, text, leaked = crashed_server()
    os.chown(path, NOBODY.pw_uid, NOBODY.pw_gid)
    start_refusing_the_record(s, path, r"owned by uid %d" % NOBODY.pw_uid, leaked)


def test_extra_hard_link():
    s, path, text, leaked = crashed_server()
    os.link(path, path + ".link")
    start_refusing_the_record(s, path, r"2 hard links", leaked)


def test_huge():
    s, path, text, leaked = crashed_server()
    with open(path, "a") as f:
        f.write(("#" * 1023 + "\n") * (5 * 1024))     # 5 MiB more
    assert os.path.getsize(path) > 5 * 1024 * 1024
    start_refusing_the_record(s, path, r"bytes, more than", leaked)


def test_directory():
    """A directory in place of the file: not read, and the new run cannot
    write its record (SG0206), but it starts."""
    s, path, text, leaked = crashed_server()
    os.unlink(path)
    os.mkdir(path, 0o700)
    start_refusing_the_record(s, path, r"not a regular file", leaked, extra_allowed=("SG0206",))
    assert os.path.isdir(path)


def test_record_of_another_instance():
    """The state file of another crashed server copied over ours: neither our
    leaked sets nor the other server's (which its record lists) are removed."""
    other, other_path, other_text, other_leaked = crashed_server("other")
    s, path, text, leaked = crashed_server("ours")
    assert os.path.basename(other_path) != os.path.basename(path), "instance digests equal"
    with open(path, "w") as f:          # keeps our file's owner (root) and mode 0600
        f.write(other_text)
    start_refusing_the_record(s, path, r"another instance", leaked, also_kept=other_leaked,
                              extra_allowed=("SG0233",))
    shared = s.log_lines("SG0233", since_start=True)
    assert len(shared) == 1 and "own SemGuardStateFile" in shared[0], shared


def test_state_file_shared_by_two_instances():
    """Two instances configured with the same SemGuardStateFile (a
    misconfiguration): each start finds the other's record and refuses it,
    so nothing of the other is ever removed; each one's own crash is
    reclaimed from the record kept in its anchor (SG0217). (That the warning
    names the file is checked in test_record_of_another_instance.)"""
    a = Server(name="a")
    shared_dir = os.path.join(os.path.dirname(a.root), "shared")
    os.makedirs(shared_dir, mode=0o755)
    shared = os.path.join(shared_dir, "semguard.state")
    a.reconfigure(extra="SemGuardStateFile %s" % shared)
    b = Server(name="b", extra="SemGuardStateFile %s" % shared)
    a.start()
    a.kill9()
    # After the kill: a live child's accept lock would still move otime.
    a_sets = identities()
    assert recorded_semids(open(shared).read()) == sorted(a_sets)
    start_refusing_the_record(b, shared, r"another instance", a_sets, names_path=False,
                              extra_allowed=("SG0233",))
    assert b.log_lines("SG0233", since_start=True), "the shared state file is not named"
    b_sets = {sid: i for sid, i in identities().items() if sid not in a_sets}
    b.kill9()
    assert recorded_semids(open(shared).read()) == sorted(b_sets)
    b_leaked = {sid: i for sid, i in identities().items() if sid in b_sets}
    start_refusing_the_record(a, shared, r"another instance", {}, also_kept=b_leaked,
                              names_path=False, extra_allowed=("SG0233",), reclaimed=a_sets)
    assert a.log_lines("SG0233", since_start=True), "the shared state file is not named"


def test_empty():
    s, path, text, leaked = crashed_server()
    with open(path, "w"):
        pass
    start_refusing_the_record(s, path, r"empty", leaked)


if __name__ == "__main__":
    harness.run()
