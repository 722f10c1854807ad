"""The module lists the kernel's semaphore table by reading /proc/sysvipc/sem
(issue #15), but only a file it can trust: procfs (fstatfs), in the exact
format, whose last set is where its id says. Anything else, and it walks the
table with SEM_STAT_ANY as before. Here apache2 runs in a mount namespace of
its own where /proc/sysvipc/sem is replaced by a bind mount (the test process
keeps the real file, which the harness reads):

- an ordinary file of garbage;
- an ordinary file holding a forged table: the real header and only the first
  of the real sets (the foreign sets and all of httpd's own omitted);
- another procfs file (/proc/sysvipc/msg): fstatfs says procfs, the parser
  refuses the header.

Each time the server starts, records exactly the sets it made (the state
file's `set` lines: the same semids as the sets that appeared, of the same
mutex types as a run without the forgery records), and a crash's leftovers are
reclaimed at the next start while no foreign set is removed or changed. The
LD_PRELOAD counter shows the module did open the bind-mounted file and then
walked (SEM_STAT_ANY calls at least as many as the foreign sets), and that
without a forgery it reads the file and does not walk.

Run: python3 tests/integration/test_proc_listing.py [test_name ...]
"""

import os
import shutil
import sys
import tempfile

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets  # noqa: E402
import listing_support as ls  # noqa: E402
from test_reclaim import state_path  # noqa: E402

FOREIGN = 300
_IDENTITY = ("key", "semid", "perms", "nsems", "uid", "gid", "cuid", "cgid", "otime", "ctime")


class ForgedProcServer(Server):
    """apache2 in a private mount namespace with ``source`` bind-mounted over
    /proc/sysvipc/sem (every process of the server inherits the namespace)."""

    source = None

    def _cmd(self, *extra):
        script = 'mount --bind "$0" /proc/sysvipc/sem && exec "$@"'
        return ["unshare", "--mount", "--propagation", "private", "sh", "-c", script,
                self.source] + super()._cmd(*extra)


def identities():
    return {s["semid"]: tuple(s[k] for k in _IDENTITY) for s in sem_sets()}


def plant_foreign():
    """Sets of other programs: private and keyed (positive and negative),
    several owners, modes and sizes, one semop'd, and holes."""
    ids = []
    for i in range(FOREIGN):
        key = 0 if i % 3 else (0x5e100000 + i if i % 2 else -(0x100 + i))
        ids.append(harness.create_set(nsems=1 + i % 4, key=key, mode=(0o600, 0o640, 0o666)[i % 3],
                                      uid=("www-data", None, "nobody")[i % 3]))
    for semid in ids[5::7]:
        harness.remove_set(semid)
    harness.set_value(ids[1], 1)
    return identities()


def recorded(server):
    """{semid: mutex type} of the state file's `set` lines."""
    with open(state_path(server)) as f:
        rows = [l.split() for l in f if l.startswith("set ")]
    return {int(r[1]): (r[14] if len(r) > 14 else "") for r in rows}


def forgeries(work):
    real = open("/proc/sysvipc/sem").read()
    lines = real.splitlines(True)
    garbage = os.path.join(work, "garbage")
    with open(garbage, "w") as f:
        f.write("this is not the semaphore table\n\0\0\0 1 2 3\n")
    forged = os.path.join(work, "forged")
    with open(forged, "w") as f:
        f.write("".join(lines[:2]))     # the header and the first set only
    for p in (garbage, forged):
        os.chmod(p, 0o444)
    return [("garbage", garbage), ("a forged table", forged), ("procfs msg", "/proc/sysvipc/msg")]


def run_with(source, name, counts, expected_types):
    """Start, check the record against the sets that appeared, crash, start
    again (reclaim), stop; the foreign sets never change."""
    foreign = identities()
    s = ForgedProcServer(name=name, env=ls.counter_env(counts))
    s.source = source
    s.start()
    made = set(identities()) - set(foreign)
    rec = recorded(s)
    if set(rec) != made:
        harness.fail("%s: recorded %s, the server made %s" % (name, sorted(rec), sorted(made)))
    if sorted(rec.values()) != expected_types:
        harness.fail("%s: recorded types %s, without a forgery %s"
                     % (name, sorted(rec.values()), expected_types))
    s.kill9()
    s.start()
    now = identities()
    left = made & set(now)
    if left:
        harness.fail("%s: the crashed run's sets %s were not reclaimed" % (name, sorted(left)))
    for semid, ident in foreign.items():
        if now.get(semid) != ident:
            harness.fail("%s: foreign set %d changed or removed: %r -> %r"
                         % (name, semid, ident, now.get(semid)))
    s.stop()
    after = identities()
    missing = [semid for semid in foreign if after.get(semid) != foreign[semid]]
    if missing:
        harness.fail("%s: foreign sets changed or removed after stop: %s" % (name, missing))
    rows = [r for r in ls.read_counts(counts) if r["role"] in ("preflight", "parent")]
    opened = sum(r["proc_reads"] for r in rows)
    walked = max([r["stat_calls"] for r in rows] or [0])
    print("    %s: %d opens of the bind-mounted file, at most %d SEM_STAT calls in one process"
          % (name, opened, walked))
    if opened == 0:
        harness.fail("%s: the module never opened /proc/sysvipc/sem: %r" % (name, rows))
    if walked < len(foreign):
        harness.fail("%s: no process walked the table (%d SEM_STAT calls for %d foreign sets): %r"
                     % (name, walked, len(foreign), rows))


@harness.timeout(300)
def test_an_untrusted_proc_file_is_walked_around():
    foreign = plant_foreign()
    work = tempfile.mkdtemp(prefix="semguard-proc-")
    try:
        # The control: the real file. The module reads it and does not walk.
        counts = os.path.join(work, "control.txt")
        control = Server(name="control", env=ls.counter_env(counts))
        control.start()
        types = sorted(recorded(control).values())
        made = set(identities()) - set(foreign)
        if set(recorded(control)) != made or not made:
            harness.fail("control: recorded %s, made %s" % (sorted(recorded(control)), sorted(made)))
        control.stop()
        rows = [r for r in ls.read_counts(counts) if r["role"] in ("preflight", "parent")]
        print("    control: %s" % ["%s: %d listings, %d reads of the file, %d SEM_STAT calls"
                                    % (r["role"], r["listings"], r["proc_reads"], r["stat_calls"])
                                    for r in rows])
        if not all(r["proc_reads"] >= 1 and r["stat_calls"] < len(foreign) for r in rows):
            harness.fail("control: expected every listing from /proc/sysvipc/sem, no walk: %r"
                         % rows)
        for name, source in forgeries(work):
            counts = os.path.join(work, name.replace(" ", "-") + ".txt")
            run_with(source, name.replace(" ", "-"), counts, types)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    harness.run()
