"""Reclaim against the real apache2: what mod_semguard removes after a crash,
and above all what it never touches.

Reference configuration (harness defaults): prefork, two Listens, ``Mutex
sysvsem default``, mod_ssl with an shmcb session cache, ``RewriteMap prg:``,
User nobody: three sets per generation (ssl-cache, mpm-accept, rewrite-map).

* test_parent_killed_children_alive: kill -9 of the parent alone.  While any
  child lives, a start removes nothing (SG0209); the start on the busy ports
  fails as stock httpd does.  Once the orphans are gone a start reclaims the
  old run's sets, naming the old parent pid.
* test_other_instances_untouched: a second running instance and a third
  crashed one (same User, same runtime directory): their sets survive our
  start/crash/restart; the look-alikes are listed at info level (SG0204).
* test_foreign_sets_untouched: keyed sets, sets of uid 1000 and 0, a held
  set, look-alikes made before and after our start: all untouched.
* test_recycled_semid_untouched: a recorded semid that now names another
  program's set (forced with /proc/sys/kernel/sem_next_id) is not removed.
* test_dryrun_then_on: DryRun names the exact ids (SG0202), removes nothing
  and parks the record; switching to On reclaims every parked run.
* test_restarts_rewrite_record: graceful and hard restarts rewrite the record
  (generation up, sets = the live generation's) and reclaim nothing.

Run: python3 tests/integration/test_reclaim.py [test_name ...]
"""

import glob
import os
import re
import signal
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import (Server, sem_sets, sem_values, create_set, hold_set,  # noqa: E402
                     remove_set, pid_alive)

NOBODY_UID = 65534
# Everything but otime: httpd's children lock their server's accept mutex.
_IDENTITY = ("key", "semid", "perms", "nsems", "uid", "gid", "cuid", "cgid", "ctime")
_SET_ENTRY = re.compile(r"(\d+) \(([^)]*)\)")


# --------------------------------------------------------------------------
# helpers


def identity(s, with_otime=False):
    return tuple(s[k] for k in _IDENTITY + (("otime",) if with_otime else ()))


def identities(with_otime=False):
    return {s["semid"]: identity(s, with_otime) for s in sem_sets()}


def state_path(server):
    """The server's state file: DefaultRuntimeDir/semguard.<16 hex>.state."""
    paths = [p for p in glob.glob(os.path.join(server.root, "run", "semguard.*"))
             if re.fullmatch(r"semguard\.[0-9a-f]{16}\.state", os.path.basename(p))]
    assert len(paths) == 1, "expected one state file in %s/run, found %r" % (server.root, paths)
    return paths[0]


def parked_paths(path):
    return sorted(glob.glob(path + ".parked.*"))


_SET_FIELDS = ("semid", "key", "uid", "gid", "cuid", "cgid", "mode", "nsems", "otime", "ctime",
               "creator_pid", "generation", "protected", "type")


def read_record(path):
    """The state file as {header key: value} plus "sets": [dict per set line]."""
    with open(path) as f:
        lines = f.read().splitlines()
    assert lines and lines[0] == "mod_semguard state 1", lines[:1]
    rec = {"sets": []}
    for line in lines[1:]:
        if line.startswith("#"):
            continue
        parts = line.split(" ")
        if parts[0] == "set":
            d = dict(zip(_SET_FIELDS, parts[1:]))
            for k in ("semid", "uid", "gid", "cuid", "cgid", "nsems", "otime", "ctime",
                      "creator_pid", "generation"):
                d[k] = int(d[k])
            d["key"] = int(d["key"], 16)
            d["mode"] = int(d["mode"], 8)
            rec["sets"].append(d)
        elif parts[0] not in ("removed", "end"):
            rec[parts[0]] = parts[1]
    return rec


def recorded_ids(rec):
    return sorted(s["semid"] for s in rec["sets"])


def tagged(text, tag):
    return [l for l in text.splitlines() if " %s: " % tag in l]


def reclaim_lines(text, tag="SG0201"):
    """SG0201 (or SG0202) lines as {parent pid: {semid: type}}."""
    out = {}
    pat = re.compile(r" %s: .*?(\d+) stale (?:semaphore )?set\(s\) of the previous run "
                     r"\(parent pid (\d+)\): (.*?)(?:; nothing was removed)?$" % tag)
    for line in tagged(text, tag):
        m = pat.search(line)
        assert m, "cannot parse %s line: %s" % (tag, line)
        ids = {int(i): t for i, t in _SET_ENTRY.findall(m.group(3))}
        assert len(ids) == int(m.group(1)), line
        pid = int(m.group(2))
        assert pid not in out, "two %s lines for parent pid %d:\n%s" % (tag, pid, text)
        out[pid] = ids
    return out


def lookalike_ids(text):
    """The ids listed by the SG0204 (info) line(s): "Ids: 1, 2, ..." (at most
    ten, then "and N more"; the tests here plant fewer)."""
    ids = []
    for line in tagged(text, "SG0204"):
        assert "[semguard:info]" in line, line
        m = re.search(r"Ids: ([\d, ]+)", line)
        assert m, line
        ids += [int(x) for x in m.group(1).replace(",", " ").split()]
    return sorted(ids)


def assert_intact(expected, where, with_otime=False):
    """Every set in ``expected`` ({semid: identity}) exists unchanged."""
    now = identities(with_otime)
    gone = [sid for sid in expected if sid not in now]
    changed = [(sid, expected[sid], now[sid]) for sid in expected
               if sid in now and now[sid] != expected[sid]]
    assert not gone and not changed, "%s: sets removed %r, changed %r (sets now %r)" % (
        where, gone, changed, sorted(now))


def assert_no_reclaim(text, where):
    for tag in ("SG0201", "SG0202", "SG0203", "SG0207", "SG0209", "SG0301"):
        assert not tagged(text, tag), "%s: unexpected %s:\n%s" % (where, tag, text)


def wait_gone(pids, timeout=10.0):
    harness.wait_for(lambda: not any(pid_alive(p) for p in pids), timeout=timeout,
                     what="processes %r to exit" % (pids,))


def kill_all(pids):
    """SIGKILL every pid (one already gone is fine) and wait until all are gone."""
    for p in pids:
        try:
            os.kill(p, signal.SIGKILL)
        except ProcessLookupError:
            pass
    wait_gone(pids)


def stop_leaving(server, orphans, timeout=20.0):
    """SIGTERM (-k stop) to the server's running parent and wait for it and
    its own children, while orphans of an earlier run of the same server
    (which Server.stop() would wait for too) keep running."""
    pids = server.pids()
    assert pids.parent is not None, "no running parent to stop"
    own = [pids.parent] + [c for c in pids.children if c not in orphans]
    os.kill(pids.parent, signal.SIGTERM)
    wait_gone(own, timeout)


# --------------------------------------------------------------------------


def test_parent_killed_children_alive():
    """kill -9 of the parent alone: while its children live, nothing of the
    run is removed (a start on the busy ports fails as with stock httpd; on
    new ports it starts and warns SG0209); once they are gone the next start
    reclaims exactly the run's 3 sets, naming the old parent pid."""
    s = Server()
    s.start()
    path = state_path(s)
    run1 = read_record(path)
    parent1 = s.last_parent
    assert int(run1["run.parent_pid"]) == parent1, (run1, parent1)
    sets1 = {sid: ident for sid, ident in identities().items()}
    assert sorted(sets1) == recorded_ids(run1) and len(sets1) == 3, (sets1, run1)

    orphans = s.kill9_parent_only()
    children = [p.pid for p in harness.processes()
                if p.pid in orphans and p.cmdline and p.cmdline[0].endswith("apache2")]
    assert children, "no httpd child survived its parent: %r" % orphans

    # 1. A start on the same ports: stock httpd fails to bind (the orphans
    #    hold the sockets).  Whatever happens, nothing may be removed.
    r = s.start(expect_ok=False)
    assert "Address already in use" in r.output + r.log, r.output + r.log
    assert_intact(sets1, "after the failed start with orphans alive")
    assert len(sem_sets()) == 3, sem_sets()
    parked = path + ".parked.%d.%s" % (parent1, run1["run.parent_start_ticks"])
    assert os.path.exists(parked), "run 1's record was not parked: %r" % os.listdir(os.path.dirname(path))
    if not tagged(r.output + r.log, "SG0209"):
        print("    NOTE: the start that failed on the busy ports showed no SG0209 "
              "(held-back message lost when httpd fails before opening its error log)")

    # 2. The same server on new ports, orphans still alive: it starts, and the
    #    old run's sets are kept with SG0209 (or SG0203).
    s.ports = []
    s.write_config()
    r = s.start()
    alive = tagged(r.log, "SG0209")
    kept = tagged(r.log, "SG0203")
    assert alive or kept, "no SG0209/SG0203 while orphans of run 1 are alive:\n%s" % r.log
    for line in alive:
        assert "[semguard:warn]" in line and "keeping 3 set(s)" in line and "still alive" in line \
            and str(parent1) in line, line
    assert not tagged(r.log, "SG0201") and not tagged(r.log, "SG0207"), r.log
    assert_intact(sets1, "after a start with orphans alive")
    assert len(sem_sets()) == 6, sem_sets()
    assert all(pid_alive(c) for c in children), "orphans died during the test"
    assert os.path.exists(parked), "the parked record of run 1 is gone"
    stop_leaving(s, orphans)
    assert_intact(sets1, "after the clean stop of run 3")

    # 3. Orphans gone: the next start reclaims run 1's sets, naming its parent.
    kill_all(orphans)
    assert_intact(sets1, "after killing the orphans")
    r = s.start()
    got = reclaim_lines(r.log)
    assert set(got) == {parent1} and sorted(got[parent1]) == sorted(sets1), \
        "expected SG0201 for parent pid %d with %r, got %r:\n%s" % (parent1, sorted(sets1), got, r.log)
    assert sorted(got[parent1].values()) == ["mpm-accept", "rewrite-map", "ssl-cache"], got
    live = identities()
    assert len(live) == 3 and not set(live) & set(sets1), live
    assert not os.path.exists(parked), "parked record left after the reclaim"
    s.stop()
    assert sem_sets() == []
    s.assert_log_clean(allowed=harness.CRASH_NOISE + ("SG0209", "SG0203", r"AH00072",
                                                      r"no listening sockets", r"AH00015"))


def test_other_instances_untouched():
    """A second instance (running) and a third (crashed), same User nobody
    and the same runtime directory for the state files: start, crash and
    restart ours touch none of their sets; at info level the restart lists
    theirs as look-alikes with `ipcs -s -i ID`."""
    ours = Server(name="ours", log_level="notice semguard:info")
    shared = os.path.join(os.path.dirname(ours.root), "shared-run")
    os.makedirs(shared, mode=0o755, exist_ok=True)
    extra = "DefaultRuntimeDir %s" % shared
    ours.reconfigure(extra=extra)
    second = Server(name="second", extra=extra)
    third = Server(name="third", extra=extra)

    second.start()
    second_sets = identities()
    third.start()
    third.kill9()
    third_sets = {sid: i for sid, i in identities(with_otime=True).items() if sid not in second_sets}
    assert len(second_sets) == 3 and len(third_sets) == 3, (second_sets, third_sets)
    states = sorted(os.listdir(shared))
    assert len([n for n in states if n.endswith(".state")]) == 2, states

    def check(where):
        assert_intact(second_sets, where)
        assert_intact(third_sets, where, with_otime=True)

    r = ours.start()
    check("after our first start")
    ours_run1 = sorted(sid for sid in identities() if sid not in second_sets and sid not in third_sets)
    assert len(ours_run1) == 3, ours_run1
    assert lookalike_ids(r.log) == sorted(list(second_sets) + list(third_sets)), r.log
    assert_no_reclaim(r.log, "our first start")
    parent1 = ours.last_parent

    ours.kill9()
    check("after our crash")
    r = ours.start()
    check("after our restart")
    got = reclaim_lines(r.log)
    assert set(got) == {parent1} and sorted(got[parent1]) == ours_run1, \
        "expected SG0201 of exactly our sets %r (parent %d), got %r" % (ours_run1, parent1, got)
    listed = lookalike_ids(r.log)
    assert listed == sorted(list(second_sets) + list(third_sets)), \
        "SG0204 lists %r, expected the other instances' sets %r" % (
            listed, sorted(list(second_sets) + list(third_sets)))
    assert "inspect one with ipcs -s -i ID" in r.log
    assert second.get("/").status == 200
    ours.stop()
    check("after our clean stop")
    second.assert_log_clean()
    ours.assert_log_clean(allowed=harness.CRASH_NOISE)


def test_foreign_sets_untouched():
    """Sets of other programs, some looking exactly like httpd's, survive a
    crash of ours and the reclaiming restart; SG0204 lists the look-alikes."""
    foreign = {}
    foreign["keyed look-alike"] = create_set(key=0x5e6d2001, uid="nobody", gid="nogroup", value=1)
    foreign["keyed 3 sems 0666"] = create_set(key=0x5e6d2002, nsems=3, mode=0o666, value=2)
    foreign["uid 1000"] = create_set(creator_uid=1000, creator_gid=1000)
    foreign["uid 1000 owner nobody"] = create_set(creator_uid=1000, creator_gid=1000,
                                                  uid="nobody", gid="nogroup")
    foreign["uid 0"] = create_set(value=1)
    foreign["look-alike before start"] = create_set(uid="nobody", gid="nogroup", value=1)
    foreign["held look-alike"] = create_set(uid="nobody", gid="nogroup", value=1)
    holder = hold_set(foreign["held look-alike"], user="nobody", group="nogroup")

    s = Server(log_level="notice semguard:info")
    s.start()
    ours1 = sorted(sid for sid in identities() if sid not in foreign.values())
    assert len(ours1) == 3, ours1
    parent1 = s.last_parent
    # more look-alikes, made while our server runs, before the crash
    foreign["look-alike while running"] = create_set(uid="nobody", gid="nogroup", value=1)
    foreign["untouched look-alike"] = create_set(uid="nobody", gid="nogroup")
    before = {sid: i for sid, i in identities(with_otime=True).items() if sid in foreign.values()}
    values = {sid: sem_values(sid) for sid in foreign.values()}
    assert len(before) == len(foreign), (before, foreign)

    s.kill9()
    r = s.start()
    got = reclaim_lines(r.log)
    assert set(got) == {parent1} and sorted(got[parent1]) == ours1, \
        "SG0201 should name exactly our sets %r (parent %d): %r" % (ours1, parent1, got)
    assert_intact(before, "after crash and reclaiming restart", with_otime=True)
    for name, sid in foreign.items():
        assert sem_values(sid) == values[sid], "%s (%d): values changed %r -> %r" % (
            name, sid, values[sid], sem_values(sid))
    assert holder.alive()
    expected_lookalikes = sorted(foreign[n] for n in ("look-alike before start", "held look-alike",
                                                      "look-alike while running",
                                                      "untouched look-alike",
                                                      "uid 1000 owner nobody"))
    assert lookalike_ids(r.log) == expected_lookalikes, (lookalike_ids(r.log), foreign)
    s.stop()
    assert sorted(identities()) == sorted(foreign.values()), sem_sets()
    assert_intact(before, "after the clean stop", with_otime=True)
    s.assert_log_clean(allowed=harness.CRASH_NOISE)


def test_recycled_semid_untouched():
    """After our crash one leftover set is removed from outside and another
    program's new set gets exactly its semid (same index and sequence, forced
    through /proc/sys/kernel/sem_next_id): the start keeps that set."""
    harness.require_private_ipc()
    if not os.path.exists("/proc/sys/kernel/sem_next_id"):
        harness.fail("/proc/sys/kernel/sem_next_id is missing (kernel without CONFIG_CHECKPOINT_RESTORE)")
    s = Server()
    s.start()
    parent1 = s.last_parent
    s.kill9()
    rec = read_record(state_path(s))
    by_type = {x["type"]: x for x in rec["sets"]}
    victim = by_type["mpm-accept"]
    recycled = victim["semid"]
    others = sorted(x["semid"] for x in rec["sets"] if x["semid"] != recycled)
    remove_set(recycled)
    # A new set made in the same second would carry the very same identity
    # (ctime has a resolution of seconds); without sem_next_id the kernel
    # hands out the same id only after its sequence wraps.  The kernel's
    # coarse clock may lag time.time() by a tick: keep a margin.
    while time.time() < victim["ctime"] + 1.2:
        time.sleep(0.05)
    with open("/proc/sys/kernel/sem_next_id", "w") as f:
        f.write("%d\n" % recycled)
    sid = create_set(uid="nobody", gid="nogroup", value=1)
    assert sid == recycled, "sem_next_id did not give semid %d but %d" % (recycled, sid)
    foreign = identities(with_otime=True)[sid]
    assert harness.sem_set(sid)["ctime"] != victim["ctime"], \
        "the new set got the recorded ctime %d: the test cannot tell it apart" % victim["ctime"]
    foreign_values = sem_values(sid)

    r = s.start()
    assert identities(with_otime=True).get(sid) == foreign, \
        "the other program's set %d was removed or changed:\n%s" % (sid, r.log)
    assert sem_values(sid) == foreign_values
    got = reclaim_lines(r.log)
    assert set(got) == {parent1} and sorted(got[parent1]) == others, \
        "SG0201 should name only %r (parent %d): %r\n%s" % (others, parent1, got, r.log)
    notes = [l for l in tagged(r.log, "SG0203") + tagged(r.log, "SG0303") if str(recycled) in l]
    assert notes, "no SG0203/SG0303 note about the recorded set %d that is gone:\n%s" % (recycled, r.log)
    print("    " + notes[0].split("] ", 3)[-1])
    assert not tagged(r.log, "SG0207"), r.log
    s.stop()
    assert sorted(identities()) == [sid], sem_sets()
    s.assert_log_clean(allowed=harness.CRASH_NOISE + ("SG0203",))


def test_dryrun_then_on():
    """DryRun names the exact ids (SG0202), removes nothing and parks the
    record as <state>.parked.<pid>.<ticks>; switching to On reclaims every
    parked run at the next start."""
    s = Server(extra="SemGuardReclaim DryRun")
    runs = []          # (parent pid, start ticks, {semid: identity with otime})

    def crash():
        rec = read_record(state_path(s))
        assert int(rec["run.parent_pid"]) == s.last_parent, (rec, s.last_parent)
        s.kill9()
        # After the kill: killing the child that holds the accept mutex lets a
        # waiting child take it (SEM_UNDO), which may still move its otime.
        live = {sid: i for sid, i in identities(with_otime=True).items()
                if sid in recorded_ids(rec)}
        assert sorted(live) == recorded_ids(rec) and len(live) == 3, (live, rec)
        runs.append((s.last_parent, rec["run.parent_start_ticks"], live))

    s.start()
    crash()
    path = state_path(s)
    for n in (2, 3):               # two DryRun starts after crashes
        r = s.start()
        got = reclaim_lines(r.log, "SG0202")
        expected = {pid: sorted(sets) for pid, _, sets in runs}
        assert {pid: sorted(ids) for pid, ids in got.items()} == expected, \
            "start %d: SG0202 %r, expected %r\n%s" % (n, got, expected, r.log)
        for line in tagged(r.log, "SG0202"):
            assert "[semguard:notice]" in line and "nothing was removed" in line, line
        assert not tagged(r.log, "SG0201") and not tagged(r.log, "SG0207"), r.log
        for pid, ticks, sets in runs:
            assert_intact(sets, "DryRun start %d" % n, with_otime=True)
        parked = sorted(path + ".parked.%d.%s" % (pid, ticks) for pid, ticks, _ in runs)
        assert parked_paths(path) == parked, "parked %r, expected %r" % (parked_paths(path), parked)
        assert len(sem_sets()) == 3 * (len(runs) + 1), sem_sets()
        crash()

    s.reconfigure(extra="SemGuardReclaim On")
    r = s.start()
    got = reclaim_lines(r.log)
    expected = {pid: sorted(sets) for pid, _, sets in runs}
    assert {pid: sorted(ids) for pid, ids in got.items()} == expected, \
        "SG0201 %r, expected every run %r\n%s" % (got, expected, r.log)
    assert not tagged(r.log, "SG0202"), r.log
    assert parked_paths(path) == [], "parked records left: %r" % parked_paths(path)
    live = identities()
    assert len(live) == 3 and not any(set(live) & set(sets) for _, _, sets in runs), (live, runs)
    s.stop()
    assert sem_sets() == []
    s.assert_log_clean(allowed=harness.CRASH_NOISE)


def test_restarts_rewrite_record():
    """Graceful and hard restarts: the record's generation goes up and its sets
    are exactly the live generation's; nothing is reclaimed; only the pconf
    sets httpd itself recreated change.  A crash afterwards is reclaimed from
    that record exactly."""
    s = Server()
    s.start()
    path = state_path(s)
    ssl_id = None
    last_gen = 0
    prev_sets = None

    def check(where):
        nonlocal ssl_id, last_gen, prev_sets
        rec = read_record(path)
        gen = int(rec["generation"])
        assert rec["phase"] == "running", (where, rec)
        assert gen > last_gen, "%s: generation %d after %d" % (where, gen, last_gen)
        live = {x["semid"]: x for x in sem_sets()}
        assert recorded_ids(rec) == sorted(live), \
            "%s: record lists %r, live sets %r" % (where, recorded_ids(rec), sorted(live))
        for x in rec["sets"]:
            l = live[x["semid"]]
            assert (x["key"], x["uid"], x["gid"], x["cuid"], x["cgid"], x["mode"], x["nsems"], x["ctime"]) == \
                (l["key"], l["uid"], l["gid"], l["cuid"], l["cgid"], l["perms"], l["nsems"], l["ctime"]), \
                "%s: recorded %r, live %r" % (where, x, l)
        types = {x["type"]: x for x in rec["sets"]}
        assert sorted(types) == ["mpm-accept", "rewrite-map", "ssl-cache"], (where, rec["sets"])
        assert types["mpm-accept"]["generation"] == gen and types["rewrite-map"]["generation"] == gen, \
            (where, rec["sets"])
        if ssl_id is None:
            ssl_id = types["ssl-cache"]["semid"]
        assert types["ssl-cache"]["semid"] == ssl_id, "%s: the ssl-cache set changed" % where
        if prev_sets is not None:
            # the running server's sets: the process-pool one kept, the pconf ones recreated by httpd
            kept = set(prev_sets) & set(live)
            assert kept == {ssl_id}, "%s: sets kept from the previous generation: %r" % (where, kept)
            assert identity(prev_sets[ssl_id]) == identity(live[ssl_id]), where
        last_gen, prev_sets = gen, live
        assert s.get("/").status == 200

    check("after start")
    for what, restart in (("graceful", s.graceful), ("restart", s.restart),
                          ("graceful", s.graceful), ("restart", s.restart)):
        mark = s.log_mark()
        restart()
        text = s.error_log(since=mark)
        assert_no_reclaim(text, "after -k %s" % what)
        assert tagged(text, "SG0101"), "no SG0101 summary after -k %s:\n%s" % (what, text)
        check("after -k %s" % what)
    final = sorted(prev_sets)
    parent = s.pids().parent
    s.kill9()
    r = s.start()
    got = reclaim_lines(r.log)
    assert set(got) == {parent} and sorted(got[parent]) == final, \
        "after the crash SG0201 should name exactly the live generation's sets %r (parent %d): %r" % (
            final, parent, got)
    s.stop()
    assert sem_sets() == []
    s.assert_log_clean(allowed=harness.CRASH_NOISE)


if __name__ == "__main__":
    harness.run()
