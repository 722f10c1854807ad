"""Attacks on the creation cursors (issue #15; span_marks.h). A window between
two cursors of one era is taken to hold the sets made between them, and the
passes' ends no longer list the table. The first version (commit 6a26487)
carried `before` (the sets known to exist) from pass to pass, ran one chain
of cursors from the preflight into the daemon it forks, and filtered the
windows' sets by the creator test alone. Each attack below but the
regression ones passed on b9f73ed (before the cursors) and failed on 6a26487.
What closed them: every process lists once at the start of its first pass,
and every graceful restart once; that listing is the baseline of the
ownership proof (a set is claimed only if the baseline lacks it and this
process touched it last), a new chain of cursors starts just before it, and
the windows' sets are not checked against a `before` that may hold ids
since reused.

Missed sets of the server (not the admitted "root forces the id of httpd's
own set"):
* test_recycled_ids_hide_new_sets_after_allocator_cycle: another root
  program has 40 sets when the server starts (they are in the start's one
  listing, L1), removes them, and keeps creating and removing sets (about
  4 million creations: the sequence number inside the ids, 65535 values,
  goes round once, about 12 s here; a busy program does that over days).
  The ids the allocator hands out next are those 40 old ids again. The
  next graceful restart's sets get them, `before` still holds them, so the
  pass does not see them as new: they are not recorded, and after a crash
  the next start does not reclaim them: they leak (and SG0303 says the run
  "left 1 set(s)" where it left 3). No sem_next_id needed.
* test_forced_foreign_ids_hide_new_sets: the same without the churn: the
  other program forces its OWN sets' ids (/proc/sys/kernel/sem_next_id) to
  an era some 100 wraps ahead; httpd's sets are made normally.
* test_allocator_cycle_between_two_cursors_hides_accept_mutex: two cursors
  of one era, the second further on, do not prove the allocator did not go
  round the whole sequence between them. The chain spans the gap from the
  preflight's last cursor to the daemon's first mark (and, the same, the
  hours between two graceful restarts); here the start is held with SIGSTOP
  in that gap while another program churns: the daemon's accept mutex falls
  into a hole below the last cursor of the same era, the first mark's cursor
  lands past it: empty window, the mutex is not recorded and leaks.

Foreign sets recorded and removed (pid reuse: what the start's listing, the
baseline, was kept to rule out, see start_run.cc):
* test_pid_reuse_at_detach_records_foreign_set: the chain runs from the
  preflight's process into the daemon it forks, so the daemon's first window
  holds sets made before the daemon existed. One made there by another root
  program, last touched by a process that had the daemon's pid before it,
  is recorded as the server's (census: "2 outside it (unknown: 2)") and
  removed by the next start after kill -9 (SG0201).
* test_old_set_noted_in_a_window_reclaimed_after_kill_mid_preflight and
  test_old_set_from_an_era_ago_reclaimed_after_kill_mid_preflight: a set
  that existed BEFORE apache2 started (in L1), of the cursors' era at an
  index the windows walk (its id forced a few indices ahead; or, without
  sem_next_id, made 65535 eras ago), last touched by a process whose pid
  apache2 -k start now has: note_new_sets notes it in the anchor (it filters
  the window by the creator test only, not by the baseline); killed in the
  preflight, the next start reclaims it as an unrecorded startup set.

Regression (passes):
* test_concurrent_churn_start_restart_crash: foreign processes churn during
  start, graceful restarts and the start after a crash, with few sets in
  use, with 3000 held by another program, and within the cursors' margin
  of SEMMNI: the record is exactly the live sets, the reclaim exactly them.
* test_two_instances_start_together_under_churn: two instances crash and
  start at the same moment under churn: each records and reclaims exactly
  its own sets.

Run: python3 tests/integration/test_cursor_attacks.py [test_name ...]
"""

import ctypes
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets  # noqa: E402
from test_reclaim import state_path, read_record, recorded_ids, reclaim_lines  # noqa: E402

SEQ_SHIFT = 15                 # IPCMNI_SHIFT (no ipcmni_extend)
SEQ_VALUES = 65535             # ipcid_seq_max(): INT_MAX >> 15; seq goes 0..65534
INDEX_MASK = (1 << SEQ_SHIFT) - 1

_CHURN_C = r"""
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/sem.h>
/* churn SEQ IDX MIN: create and remove one-semaphore sets until at least MIN
   were made and the last one had sequence SEQ and index IDX; prints the count. */
int main(int argc, char **argv) {
    if (argc != 4) return 2;
    long seq = atol(argv[1]), idx = atol(argv[2]), min = atol(argv[3]), n = 0;
    for (;;) {
        int id = semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
        if (id < 0 && errno == ENOSPC) continue;   /* at the limit: try again */
        if (id < 0) { perror("semget"); return 1; }
        if (semctl(id, 0, IPC_RMID) < 0) { perror("IPC_RMID"); return 1; }
        ++n;
        if (n >= min && (id >> 15) == seq && (id & 0x7fff) == idx) break;
        if (n > 100000000L) { fprintf(stderr, "never reached\n"); return 1; }
    }
    printf("%ld\n", n);
    return 0;
}
"""

_churn_bin = None


def _churn_binary():
    global _churn_bin
    if _churn_bin:
        return _churn_bin
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        harness.skip("no C compiler for the churn helper")
    d = tempfile.mkdtemp(prefix="semguard-churn-")
    src = os.path.join(d, "churn.c")
    with open(src, "w") as f:
        f.write(_CHURN_C)
    subprocess.run([cc, "-O2", "-o", os.path.join(d, "churn"), src], check=True)
    _churn_bin = os.path.join(d, "churn")
    return _churn_bin


def churn_until(seq, idx, minimum=1):
    """Another program's loop of semget+IPC_RMID until the allocator has just
    handed out (seq, idx). Runs in this (private) namespace."""
    harness.require_private_ipc()
    out = subprocess.run([_churn_binary(), str(seq), str(idx), str(minimum)], check=True,
                         stdout=subprocess.PIPE, universal_newlines=True, timeout=240)
    return int(out.stdout)


class Churner:
    """Another root program creating and removing sets in a tight loop
    (several processes), until stopped."""

    def __init__(self, procs=2):
        harness.require_private_ipc()
        self.procs = [subprocess.Popen([_churn_binary(), "-1", "-1", "1"],
                                       stdout=subprocess.DEVNULL) for _ in range(procs)]

    def stop(self):
        for p in self.procs:
            p.kill()
        for p in self.procs:
            p.wait()


def split(semid):
    return semid >> SEQ_SHIFT, semid & INDEX_MASK


def probe():
    """Where the allocator stands: (seq, index) of a set made and removed."""
    sid = harness.create_set()
    harness.remove_set(sid)
    return split(sid)


def to_era_start():
    """With no set in use the cycle is 64 indices: go to index 63, so the next
    set is index 0 of the next era."""
    assert sem_sets() == [], sem_sets()
    seq, idx = probe()
    while idx != 63:
        seq, idx = probe()
    return (seq + 1) % SEQ_VALUES


def force_next_id(semid):
    with open("/proc/sys/kernel/sem_next_id", "w") as f:
        f.write(str(semid))


def server_sets():
    """The live sets of the server (only the server has sets at that point)."""
    return sorted(s["semid"] for s in sem_sets())


def check_recorded_then_reclaimed(s, foreign_ids):
    """Every live set is the server's: the record must hold all of them, and
    after kill -9 the next start must reclaim exactly those."""
    live = server_sets()         # the foreign sets were removed long ago
    rec = read_record(state_path(s))
    missing = sorted(set(live) - set(recorded_ids(rec)))
    parent = s.last_parent
    s.kill9()
    r = s.start()
    lines = reclaim_lines(r.log)
    reclaimed = sorted(lines.get(parent, {}))
    left = sorted(sid for sid in server_sets() if sid in live)
    assert not missing and not left, (
        "after the graceful restart the server's sets %s are live, the record holds %s "
        "(missing %s, ids %s); after kill -9 the next start reclaimed %s and left %s behind "
        "(foreign ids that existed at the start: %s)" % (
            live, recorded_ids(rec), missing, [split(i) for i in missing], reclaimed, left,
            foreign_ids))
    s.stop()


@harness.timeout(400)
def test_recycled_ids_hide_new_sets_after_allocator_cycle():
    era = to_era_start()
    foreign = [harness.create_set(value=1) for _ in range(40)]
    assert [split(i) for i in foreign] == [(era, n) for n in range(40)], \
        [split(i) for i in foreign]
    s = Server()
    s.start()
    for sid in foreign:
        harness.remove_set(sid)
    # The other program keeps working: the sequence number goes round once,
    # and the allocator has just handed out (era, 0) again.
    n = churn_until(era, 0, minimum=64 * 2)
    assert n > 64 * 1000, n
    s.graceful()
    check_recorded_then_reclaimed(s, foreign)


def test_forced_foreign_ids_hide_new_sets():
    if not os.path.exists("/proc/sys/kernel/sem_next_id"):
        harness.skip("no /proc/sys/kernel/sem_next_id")
    base = to_era_start()
    era = (base + 100) % SEQ_VALUES
    foreign = []
    for n in range(40):
        force_next_id((era << SEQ_SHIFT) + n)
        foreign.append(harness.create_set(value=1))
    assert [split(i) for i in foreign] == [(era, n) for n in range(40)], \
        [split(i) for i in foreign]
    s = Server()
    s.start()
    for sid in foreign:
        harness.remove_set(sid)
    churn_until(era, 0)
    s.graceful()
    check_recorded_then_reclaimed(s, foreign)


def _make_touched_set(forced_id=None):
    """Another root program (a child of this process, which then exits):
    makes a set (at `forced_id` through sem_next_id if given) and SETVALs
    it, so GETPID is its pid. Returns (semid, pid)."""
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        try:
            os.close(r)
            if forced_id is not None:
                force_next_id(forced_id)
            sid = harness._libc.semget(0, 1, 0o1600)
            if sid >= 0:
                harness._libc.semctl(sid, 0, 16, ctypes.c_int(1))    # SETVAL
            os.write(w, str(sid).encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r) as f:
        sid = int(f.read())
    os.waitpid(pid, 0)
    assert sid >= 0
    return sid, pid


def _old_set_reclaimed_after_kill_mid_preflight(old, pid):
    from leak_support import leaktest_config
    assert harness.get_pid(old) == pid
    s = Server()
    paused = os.path.join(s.root, "run", "paused")
    s.reconfigure(extra=leaktest_config(sets=()) + "\nLeakTestPause %s" % paused)
    with open("/proc/sys/kernel/ns_last_pid", "w") as f:
        f.write(str(pid - 1))
    proc = subprocess.Popen(s._cmd("-k", "start"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=s._env(), cwd=s.root, start_new_session=True)
    harness.wait_for(lambda: os.path.exists(paused), timeout=60, what="the preflight to pause")
    with open(paused) as f:
        starter = int(f.read().split()[0])
    assert starter == pid == proc.pid, (starter, pid, proc.pid)
    os.kill(starter, signal.SIGKILL)
    proc.wait(30)
    s.reconfigure(extra=leaktest_config(sets=()))
    r = s.start(remove_stale_pidfile=True)
    lines = reclaim_lines(r.log)
    alive = old in server_sets()
    assert alive and not any(old in ids for ids in lines.values()), (
        "another program's set %d (%s, existed before apache2 started, last touched by "
        "pid %d, which apache2 -k start then got) after the kill in the preflight: %s; "
        "SG0201: %s" % (old, split(old), pid, "still there" if alive else "REMOVED", lines))
    s.stop()


def _need_pid_and_id_control():
    if not os.path.exists("/proc/sys/kernel/ns_last_pid") or \
            not os.path.exists("/proc/sys/kernel/sem_next_id"):
        harness.skip("no ns_last_pid or sem_next_id")


@harness.timeout(200)
def test_old_set_noted_in_a_window_reclaimed_after_kill_mid_preflight():
    """The baseline (the start's listing) is what proves a set new; but the
    marks note in the anchor every window set last touched by the parent
    (note_new_sets: created_by on the window, not on what appeared since the
    listing). A window holds every set of the cursors' era between their
    indices, so a set that existed long before (here another program's, its
    id forced a few indices ahead by sem_next_id) and whose last toucher had
    the pid that apache2 now has (pid reuse) is noted. Killed in the
    preflight (record phase starting), the next start reclaims it as an
    unrecorded startup set: another program's set, in the start's own
    listing, removed."""
    _need_pid_and_id_control()
    era = to_era_start()                         # the next set is (era, 0)
    old, pid = _make_touched_set(forced_id=(era << SEQ_SHIFT) + 3)
    assert split(old) == (era, 3), split(old)
    _old_set_reclaimed_after_kill_mid_preflight(old, pid)


@harness.timeout(300)
def test_old_set_from_an_era_ago_reclaimed_after_kill_mid_preflight():
    """The same without sem_next_id: the other program's set was made at
    index 5 of era E; the allocator went round the whole sequence since
    (65535 eras, here 4 million creations by another program in ~12 s) and
    is back at (E, 0) when apache2 starts with the pid of the set's last
    toucher (ns_last_pid here; pid reuse in life)."""
    _need_pid_and_id_control()
    era = to_era_start()
    fillers = [harness.create_set() for _ in range(5)]
    old, pid = _make_touched_set()
    for f in fillers:
        harness.remove_set(f)
    assert split(old) == (era, 5), split(old)
    # The next set is (era, 0): apache2's first creations (a usability probe,
    # the chain's two cursors) come before index 5, its windows pass it.
    churn_until((era - 1) % SEQ_VALUES, 63, minimum=64)
    _old_set_reclaimed_after_kill_mid_preflight(old, pid)


def _state_phase(path):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith("phase "):
                    return line.split()[1]
    except OSError:
        pass
    return None


def _live(s):
    """The server's processes that have not exited (zombies left out)."""
    return [p for p in harness.processes() if s._is_mine(p) and p.state != "Z"]


def _held_start(s):
    """s.start() for a start that a test holds with SIGSTOP: the hold (a
    churn of the allocator through a whole cycle, seconds on a busy machine)
    counts against the start's timeout, and a timeout would kill the held
    process under the test."""
    return s.start(expect_ok=None, timeout=300)


def _stop_the_starter(s):
    """SIGSTOP `apache2 -k start` while it is still the server's only live
    process and return its pid; None if the daemon was already forked. The
    starter is this test process's child; the daemon is not."""
    mine = _live(s)
    if len(mine) != 1 or mine[0].ppid != os.getpid() or not harness.stop_process(mine[0].pid):
        return None
    starter = mine[0].pid
    if [p.pid for p in _live(s)] != [starter]:                   # it forked the daemon before it stopped
        os.kill(starter, signal.SIGCONT)
        return None
    return starter


def hold_at_detach(s, keep=(), attempts=6):
    """Start `s` in a thread and SIGSTOP the starting process right after
    the preflight's record, before httpd forks the daemon. Returns (thread,
    result dict, starter pid) or None. A missed attempt's sets are removed,
    those of `keep` (another program's) never."""
    run_dir = os.path.join(s.root, "run")
    for attempt in range(attempts):
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("r", _held_start(s)))
        t.start()
        starter = None
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            paths = [os.path.join(run_dir, n) for n in os.listdir(run_dir)
                     if n.startswith("semguard.") and n.endswith(".state")] \
                if os.path.isdir(run_dir) else []
            if paths and _state_phase(paths[0]) == "running":
                starter = _stop_the_starter(s)
                break
            time.sleep(0.0002)
        if starter is not None:
            return t, result, starter
        t.join()
        print("    NOTE: attempt %d missed the window" % attempt, flush=True)
        s.kill9()
        for n in os.listdir(run_dir):
            if n.startswith("semguard."):
                os.unlink(os.path.join(run_dir, n))
        for sid in {x["semid"] for x in sem_sets()} - set(keep):
            harness.remove_set(sid)
    return None


@harness.timeout(200)
def test_pid_reuse_at_detach_records_foreign_set():
    """The real pass runs in the daemon that `apache2 -k start` forks after
    the preflight. A set another root program made after the preflight's last
    cursor, last touched by a process that had the daemon's pid before it
    (pid reuse), is in the real pass's first window, not in `before`, cuid 0,
    GETPID = the daemon: recorded as the server's, and removed by the next
    start after a crash. (Placed deterministically: the start is stopped with
    SIGSTOP right after the preflight's record, and ns_last_pid is set.)"""
    if not os.path.exists("/proc/sys/kernel/ns_last_pid"):
        harness.skip("no /proc/sys/kernel/ns_last_pid")
    s = Server()
    for attempt in range(6):
        held = hold_at_detach(s)
        if held is None:
            harness.fail("never stopped the start before the detach")
        t, result, starter = held
        foreign, pid = _make_touched_set()
        with open("/proc/sys/kernel/ns_last_pid", "w") as f:
            f.write(str(pid - 1))
        os.kill(starter, signal.SIGCONT)
        t.join()
        assert result["r"].ok, result["r"]
        parent = s.last_parent
        if parent != pid:
            print("    NOTE: attempt %d: the daemon is %s, not %d" % (attempt, parent, pid),
                  flush=True)
            s.kill9()
            harness.remove_all_sets()
            continue
        assert harness.get_pid(foreign) == parent
        rec = read_record(state_path(s))
        recorded = recorded_ids(rec)
        s.kill9()
        r = s.start()
        reclaimed = sorted(reclaim_lines(r.log).get(parent, {}))
        alive = foreign in server_sets()
        assert foreign not in recorded and alive, (
            "foreign set %d (made by pid %d after the preflight, which then exited; the "
            "daemon got pid %d): recorded %s; after kill -9 the next start reclaimed %s; "
            "foreign set %s" % (foreign, pid, parent, recorded, reclaimed,
                                "still there" if alive else "REMOVED"))
        s.stop()
        return
    harness.fail("never stopped the start between the preflight and the detach")


def _stop_between_passes(s, condition, attempts=6):
    """Start `s` in a thread and SIGSTOP every process of it as soon as
    `condition(attempt)` holds (polled). Returns (thread, result dict,
    stopped pids) or None when the window was missed every time."""
    for attempt in range(attempts):
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("r", _held_start(s)))
        t.start()
        stopped, whole = [], False
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and t.is_alive():
            if condition(attempt):
                stopped = [p.pid for p in _live(s) if harness.stop_process(p.pid)]
                # Not held if a daemon forked between the listing and the stops runs on.
                whole = all(p.pid in stopped for p in _live(s))
                break
            time.sleep(0.0002)
        if stopped and whole and condition(attempt):
            return t, result, stopped
        print("    NOTE: attempt %d missed the window" % attempt, flush=True)
        release_held(s, t, stopped)
    return None


def release_held(s, t, stopped):
    """Lets a held start go, ends the server and clears the namespace's sets
    and the module's state, for another attempt."""
    for pid in stopped:
        os.kill(pid, signal.SIGCONT)
    t.join()
    s.kill9()
    harness.remove_all_sets()
    for n in os.listdir(os.path.join(s.root, "run")):
        if n.startswith("semguard."):
            os.unlink(os.path.join(s.root, "run", n))


def preflight_ended(state_dir):
    """A predicate for held starts (per attempt): the preflight has ended
    (record phase running) and httpd removed its sets (mod_ssl's cache mutex
    stays), so the real pass has not begun."""
    at_end = {}

    def done(attempt):
        paths = [os.path.join(state_dir, n) for n in os.listdir(state_dir)
                 if n.startswith("semguard.") and n.endswith(".state")] \
            if os.path.isdir(state_dir) else []
        if not paths or _state_phase(paths[0]) != "running":
            return False
        ids = {x["semid"] for x in sem_sets()}
        first = at_end.setdefault(attempt, ids)
        return ids < first
    return done


def hide_next_set_below_last_cursor():
    """While the server is held: as another program, go to the next era (its
    first set, at index 0, is removed: that hole stays), fill every other free
    index up to the last cursor's with sets it keeps, then churn round to the
    era before, stopping just below the top of the cycle. The server's next
    set then goes into the hole at index 0, of the last cursor's era, and its
    next cursor lands past the last one. Returns (era, last cursor's index,
    the sets kept), or None where the last cursor was at the top of the
    cycle (then nothing can lie past it)."""
    era, nxt = probe()            # where the last cursor went: the next index, same era
    last = nxt - 1
    if last < 0:
        # The last cursor took the top of the cycle and the allocator has
        # wrapped: no later index of its era exists to hide a set past it.
        # Not this attack's setting; the caller holds the start again.
        return None
    while probe() != ((era + 1) % SEQ_VALUES, 0):
        pass
    holders = []
    while True:
        sid = harness.create_set()
        if split(sid)[1] > last:
            harness.remove_set(sid)
            break
        holders.append(sid)
    used = {split(x["semid"])[1] for x in sem_sets()}
    free_top = sorted(i for i in range(64) if i not in used and i > last)
    assert len(free_top) >= 2, (last, used)
    n = churn_until((era - 1) % SEQ_VALUES, free_top[-2], minimum=64)
    print("    NOTE: last cursor (%d, %d), %d holders, churned %d" % (era, last, len(holders), n),
          flush=True)
    return era, last, holders


@harness.timeout(300)
def test_allocator_cycle_between_two_cursors_hides_accept_mutex():
    """Two cursors of one era with the second further on do not prove that
    the allocator did not go round the whole sequence (65535 eras) between
    them. The chain runs from the preflight's last cursor (in the first
    process) to the real pass's first mark (in the daemon): another root
    program that churns meanwhile (here while the start is held with
    SIGSTOP; in life, a busy program and a slow start, or the hours between
    two graceful restarts) can bring the allocator back to the same era, so
    that the daemon's accept mutex is made at the end of the era before and
    the daemon's accept mutex is made at the start of the same era again,
    in a hole (index 0) below the last cursor, and the first mark's cursor
    lands past the last cursor (the indices between are the other program's):
    same era, higher index, the window (last, new) is empty; the accept
    mutex is not recorded and leaks after a crash. Needs no sem_next_id; the
    other program only keeps some sets and creates and removes others."""
    s = Server()
    state_dir = os.path.join(s.root, "run")
    for _ in range(4):
        held = _stop_between_passes(s, preflight_ended(state_dir))
        if held is None:
            harness.fail("never stopped the start between the preflight and the real pass")
        t, result, stopped = held
        hidden = hide_next_set_below_last_cursor()
        if hidden:
            break
        print("    NOTE: the last cursor was at the top of the cycle; holding again", flush=True)
        release_held(s, t, stopped)
    else:
        harness.fail("the preflight's last cursor was at the top of the cycle every time")
    era, last, holders = hidden
    for pid in stopped:
        os.kill(pid, signal.SIGCONT)
    t.join()
    assert result["r"].ok, result["r"]
    for sid in holders:
        harness.remove_set(sid)
    live = server_sets()
    rec = read_record(state_path(s))
    missing = sorted(set(live) - set(recorded_ids(rec)))
    parent = s.last_parent
    s.kill9()
    r = s.start()
    left = sorted(sid for sid in server_sets() if sid in live)
    assert not missing and not left, (
        "preflight's last cursor at (%d, %d); the server's sets %s (%s) are live, the record "
        "holds %s (missing %s); after kill -9 the next start reclaimed %s and left %s" % (
            era, last, live, [split(i) for i in live], recorded_ids(rec), missing,
            sorted(reclaim_lines(r.log).get(parent, {})), left))
    s.stop()


def touched_sets(exclude):
    """Live sets not in `exclude` that some process did semop/SETVAL on (the
    churners' sets, made and removed at once, never are): the servers'."""
    out = []
    for sid in server_sets():
        if sid in exclude:
            continue
        try:
            if harness.get_pid(sid) != 0:
                out.append(sid)
        except OSError:
            pass                       # a churner's, gone meanwhile
    return out


def _check_record_is_live(s, foreign, where):
    live = touched_sets(set(foreign))
    rec = read_record(state_path(s))
    assert sorted(recorded_ids(rec)) == sorted(live), (where, live, recorded_ids(rec))
    return live


@harness.timeout(300)
def test_concurrent_churn_start_restart_crash():
    """Regression (passes): foreign processes churn (so the allocator wraps
    every few hundred microseconds, breaking chains at random) during start,
    graceful restarts and the start after a crash, with few sets in use and
    with 3000 held by another program: the record is exactly the server's
    live sets, and the start after kill -9 reclaims exactly them."""
    for held, semmni in ((0, None), (3000, None), (188, 200)):
        if semmni:      # within the cursors' margin of 8 now and then
            lim = harness.get_sem_limits()
            harness.set_sem_limits(lim[0], lim[1], lim[2], semmni)
        kept = set(harness.create_set(value=1) for _ in range(held))
        churn = Churner()
        try:
            s = Server(name="held%d" % held)
            s.start()
            _check_record_is_live(s, kept, "start")
            for i in range(3):
                s.graceful()
                _check_record_is_live(s, kept, "graceful %d" % i)
            live = _check_record_is_live(s, kept, "before the crash")
            parent = s.last_parent
            s.kill9()
            r = s.start()
            reclaimed = reclaim_lines(r.log).get(parent, {})
            assert sorted(reclaimed) == sorted(live), (reclaimed, live)
            assert set(kept) <= {x["semid"] for x in sem_sets()}
            _check_record_is_live(s, kept, "start after the crash")
            s.stop()
        finally:
            churn.stop()
        for k in kept:
            harness.remove_set(k)


def two_instances_crash_together(foreign=frozenset(), churn_from=0, rounds=4):
    """Two instances start and crash at the same moment, `rounds` times,
    other processes churning from round `churn_from` on: each one's record
    holds sets of its own only (none of the other's, none of `foreign` or
    the churners'), together every live touched set, each start reclaims
    exactly its own previous sets, and no foreign set is removed."""
    from test_restart_storms import start_together, kill_together
    foreign = set(foreign)
    servers = [Server(name="a"), Server(name="b")]
    churn = None
    try:
        previous = {}
        for rnd in range(rounds):
            if rnd == churn_from:
                churn = Churner()
            results = start_together(servers)
            recs = {}
            for sv, r in zip(servers, results):
                assert r.ok, (rnd, sv.name, r.reason, r.log)
                got = reclaim_lines(r.log)
                if rnd:
                    assert sorted(got) == [previous[sv.name][0]], (rnd, sv.name, got)
                    assert sorted(got[previous[sv.name][0]]) == previous[sv.name][1], \
                        (rnd, sv.name, got, previous)
                else:
                    assert not got, (sv.name, got)
                recs[sv.name] = recorded_ids(read_record(state_path(sv)))
            assert not set(recs["a"]) & set(recs["b"]), (rnd, recs)
            assert not (set(recs["a"]) | set(recs["b"])) & foreign, (rnd, "foreign recorded", recs)
            live = touched_sets(foreign)
            assert sorted(recs["a"] + recs["b"]) == sorted(live), (rnd, recs, live)
            assert foreign <= set(server_sets()), (rnd, "foreign set removed")
            previous = {sv.name: (sv.last_parent, sorted(recs[sv.name])) for sv in servers}
            kill_together(servers)
    finally:
        if churn:
            churn.stop()
    for sv in servers:
        sv.start()
        sv.stop()
    assert foreign <= set(server_sets())


@harness.timeout(300)
def test_two_instances_start_together_under_churn():
    """Regression (passes): two instances crash and start at the same moment,
    4 rounds, while other processes churn."""
    two_instances_crash_together()


if __name__ == "__main__":
    harness.run()
