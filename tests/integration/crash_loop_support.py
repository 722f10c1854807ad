"""What the crash-loop tests share (test_crash_loop.py, and the soak that CI
runs, soak_crash_restart.py): sets of other programs planted among httpd's,
their identity, the server's own sets, and the SG0201 lines that name what a
start reclaimed."""
import re

from harness import sem_sets, create_set, hold_set

# Identity of a set: everything but otime (a live holder or httpd's children
# may lock it) -- for sets nobody locks we compare otime too.
_IDENTITY = ("key", "semid", "perms", "nsems", "uid", "gid", "cuid", "cgid", "ctime")

_SET_ENTRY = re.compile(r"(\d+) \(([^)]*)\)")
_RECLAIMED = re.compile(r"SG0201: reclaimed (\d+) stale semaphore set\(s\) of the previous run "
                        r"\(parent pid (\d+)\): (.*)$")


def identity(s, with_otime=False):
    keys = _IDENTITY + (("otime",) if with_otime else ())
    return tuple(s[k] for k in keys)


def sets_by_id():
    return {s["semid"]: s for s in sem_sets()}


def reclaimed_lines(text):
    """Every SG0201 line of ``text`` as (count, parent pid, {semid: type})."""
    out = []
    for line in text.splitlines():
        m = _RECLAIMED.search(line)
        if m:
            ids = {int(i): t for i, t in _SET_ENTRY.findall(m.group(3))}
            out.append((int(m.group(1)), int(m.group(2)), ids))
    return out


def plant_foreign_sets():
    """Sets of other programs, some of them looking exactly like httpd's.
    Returns ({semid: identity with otime}, [holders])."""
    planted = [
        # a look-alike: IPC_PRIVATE, one semaphore, 0600, owned by nobody, created by root
        create_set(uid="nobody", gid="nogroup", value=1),
        # a look-alike nobody ever touched (GETPID 0, otime 0)
        create_set(uid="nobody", gid="nogroup"),
        # a keyed set of another program
        create_set(key=0x5e6d1001, nsems=2, mode=0o640, value=3),
        # a set of another user
        create_set(creator_uid=1000, creator_gid=1000),
    ]
    held = create_set(uid="nobody", gid="nogroup", value=1)
    holder = hold_set(held, user="nobody", group="nogroup")      # value 0, held
    planted.append(held)
    now = sets_by_id()
    return {sid: identity(now[sid], with_otime=True) for sid in planted}, [holder]


def assert_planted_intact(planted, where):
    now = sets_by_id()
    for sid, ident in planted.items():
        assert sid in now, "%s: foreign set %d was removed (sets now: %r)" % (where, sid, sorted(now))
        assert identity(now[sid], with_otime=True) == ident, \
            "%s: foreign set %d changed: %r -> %r" % (where, sid, ident, now[sid])


def own_sets(planted):
    return sorted(sid for sid in sets_by_id() if sid not in planted)


def check_start(cycle, r, previous_sets, previous_parent, per_generation):
    """One start ``r`` of a crash loop: it succeeded and reclaimed exactly the
    sets of the run killed before it (one SG0201 line naming that run's parent
    pid), or nothing at the first start (``previous_sets`` None). Returns the
    reclaimed {semid: type}."""
    assert r.ok, "cycle %d: start failed (%s):\n%s\n%s" % (cycle, r.reason, r.output, r.log)
    got = reclaimed_lines(r.log)
    if previous_sets is None:
        assert not got, "cycle 1 (first start) reclaimed something: %r" % got
        return {}
    assert len(got) == 1, "cycle %d: expected one SG0201 line, got %r\n%s" % (cycle, got, r.log)
    count, pid, ids = got[0]
    assert count == per_generation and sorted(ids) == previous_sets, \
        "cycle %d: SG0201 reclaimed %r, the crashed run had %r" % (cycle, ids, previous_sets)
    assert pid == previous_parent, \
        "cycle %d: SG0201 names parent pid %d, the crashed parent was %d" % (cycle, pid, previous_parent)
    return ids
