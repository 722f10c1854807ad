"""The reclaim proof under attack (issue #10): sequences that made an older
mod_semguard remove sets that another live process still used.

* test_ipc_set_on_anchor_children_alive: root changes nothing but the ctime
  of the run's anchor segment (IPC_SET), then the parent alone is killed.
  While its children live, a start must keep every set (they still lock
  them); the identity mismatch is said (SG0203), never read as "gone".
* test_ipc_rmid_on_anchor_children_alive: root marks the anchor for removal
  while the children are attached: still nothing is removed while they
  live, and the sets are reclaimed once they are gone.
* test_pid_reuse_during_restart: the parent is killed in the middle of a
  restart (record phase starting); its pid is then reused by the first
  process of another instance, whose preflight makes a set last touched by
  "that pid"; a third instance's start reads the first one's anchor.  The
  first instance's next start must not take the other instance's set.

Run: python3 tests/integration/test_reclaim_proof.py [test_name ...]
"""

import os
import re
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets, pid_alive  # noqa: E402
from test_reclaim import (state_path, read_record, identities, tagged, reclaim_lines,  # noqa: E402
                          assert_intact, stop_leaving, wait_gone, kill_all)
import reclaim_proof_support as adv  # noqa: E402


def test_ipc_set_on_anchor_children_alive():
    s = Server()
    s.start()
    rec = read_record(state_path(s))
    anchor = int(rec["run.anchor_shmid"])
    sets1 = identities()
    assert len(sets1) == 3, sets1
    time.sleep(1.1)                      # ctime has a resolution of seconds
    adv.shm_ipc_set_unchanged(anchor)
    orphans = s.kill9_parent_only()
    assert orphans, "no child survived its parent"

    s.ports = []
    s.write_config()
    r = s.start()
    assert_intact(sets1, "start while the children of the run live (anchor changed from outside)")
    assert not tagged(r.log, "SG0201"), r.log
    assert tagged(r.log, "SG0203") or tagged(r.log, "SG0209"), r.log
    assert all(pid_alive(c) for c in orphans), "orphans died during the test"
    stop_leaving(s, orphans)
    assert_intact(sets1, "after the clean stop of the second run")

    # The children gone: the anchor's identity still does not match, so the
    # end of the run is not proven: kept, and said why (SG0203).
    kill_all(orphans)
    r = s.start()
    assert_intact(sets1, "start after the children died (anchor changed from outside)")
    lines = tagged(r.log, "SG0203")
    assert lines and any("changed" in l for l in lines), r.log
    s.stop()
    s.assert_log_clean(allowed=harness.CRASH_NOISE + ("SG0209", "SG0203", "SG02", r"AH00072"))


def test_ipc_rmid_on_anchor_children_alive():
    s = Server()
    s.start()
    rec = read_record(state_path(s))
    anchor = int(rec["run.anchor_shmid"])
    parent1 = s.last_parent
    sets1 = identities()
    adv.shm_remove(anchor)               # marked; stays while anything is attached
    orphans = s.kill9_parent_only()
    assert orphans, "no child survived its parent"
    s.ports = []
    s.write_config()
    r = s.start()
    assert_intact(sets1, "start while the children of the run live (anchor marked removed)")
    assert not tagged(r.log, "SG0201"), r.log
    stop_leaving(s, orphans)
    kill_all(orphans)
    harness.wait_for(lambda: not adv.shm_exists(anchor), timeout=5, what="anchor to go")
    r = s.start()
    got = reclaim_lines(r.log)
    assert set(got) == {parent1} and sorted(got[parent1]) == sorted(sets1), (got, r.log)
    s.stop()
    s.assert_log_clean(allowed=harness.CRASH_NOISE + ("SG0209", "SG0203", "SG02", r"AH00072"))


def test_pid_reuse_during_restart():
    if not os.path.exists("/proc/sys/kernel/ns_last_pid"):
        harness.skip("no /proc/sys/kernel/ns_last_pid")
    a = Server(name="a")
    a.start()
    path = state_path(a)
    parent_a = int(read_record(path)["run.parent_pid"])
    a.kill9()
    # As if killed between the Starting record of a restart and its end.
    adv.rewrite_state_file(path, lambda l: "phase starting" if l.startswith("phase ") else l)
    assert sem_sets() != []
    left_by_a = identities()

    time.sleep(1.1)
    b = Server(name="b")
    adv.force_next_pid(parent_a)
    b.start()
    b_sets = {sid: i for sid, i in identities().items() if sid not in left_by_a}
    assert b_sets, "instance b made no set"
    touched = [sid for sid in b_sets if harness.get_pid(sid) == parent_a]
    assert touched, "no set of b was last touched by pid %d (ns_last_pid did not take)" % parent_a
    time.sleep(1.1)
    c = Server(name="c")                 # its start looks at every anchor
    c.start()
    c_sets = {sid: i for sid, i in identities().items()
              if sid not in left_by_a and sid not in b_sets}

    r = a.start()
    assert_intact(b_sets, "a's start after b reused a's parent pid")
    assert_intact(c_sets, "a's start (instance c)")
    for pid, ids in reclaim_lines(r.log).items():
        assert not set(ids) & set(b_sets), (pid, ids, b_sets, r.log)
    assert b.get("/").status == 200
    a.stop()
    b.stop()
    c.stop()


def _run_dir_extra(server, name):
    d = os.path.join(server.root, name)
    os.makedirs(d, mode=0o755, exist_ok=True)
    return d


def test_fresh_runtime_dir_reclaims_from_the_ipc_namespace():
    """The state file is gone between the crash and the next start (a
    container restarted with a fresh filesystem): every set of the crashed
    run is reclaimed from the record kept in its anchor; a live sibling's
    sets, look-alikes and keyed sets are untouched."""
    sibling = Server(name="sibling")
    sibling.start()
    theirs = identities()
    lookalike = harness.create_set(uid="nobody", gid="nogroup", value=1)
    keyed = harness.create_set(key=0x5e6e0001, value=1)
    others = identities()
    s = Server(name="ours")
    s.start()
    parent = int(read_record(state_path(s))["run.parent_pid"])
    ours = {sid: i for sid, i in identities().items() if sid not in others}
    assert len(ours) == 3, ours
    s.kill9()
    os.unlink(state_path(s))
    r = s.start()
    got = reclaim_lines(r.log)
    assert set(got) == {parent} and sorted(got[parent]) == sorted(ours), (got, r.log)
    assert_intact(others, "after the reclaim from the IPC namespace")
    assert sibling.get("/").status == 200
    s.stop()
    sibling.stop()
    assert sorted(identities()) == sorted([lookalike, keyed]), identities()


def test_read_only_runtime_dir():
    """DefaultRuntimeDir read-only: the state file cannot be written (SG0206
    says so), and a crash is still reclaimed from the anchor's record."""
    s = Server()
    run = _run_dir_extra(s, "ro-run")
    s.reconfigure(extra="DefaultRuntimeDir %s" % run)
    subprocess.run(["mount", "--bind", run, run], check=True)
    subprocess.run(["mount", "-o", "remount,bind,ro", run], check=True)
    try:
        r = s.start()
        assert tagged(r.log, "SG0206"), r.log
        sets1 = identities()
        assert len(sets1) == 3, sets1
        s.kill9()
        r = s.start()
        reclaimed = reclaim_lines(r.log)
        assert len(reclaimed) == 1 and sorted(list(reclaimed.values())[0]) == sorted(sets1), \
            (reclaimed, r.log)
        assert not set(identities()) & set(sets1)
        s.stop()
        assert sem_sets() == []
    finally:
        subprocess.run(["umount", run], check=False)


def test_key_squatted_by_nobody():
    """`nobody` creates a segment at the instance's first key before the
    start: it is not read, not removed, said (SG0212); the run takes the next
    key and a crash of it is still reclaimed."""
    s = Server()
    s.start()
    anchor = int(read_record(state_path(s))["run.anchor_shmid"])
    key = adv.segment(anchor)["key"]
    assert key != 0, "the anchor has no key"
    s.stop()
    harness.wait_for(lambda: adv.segment(anchor) is None, timeout=5, what="anchor to go")
    squat = adv.shm_create(key, 4096, uid=65534)
    r = s.start()
    lines = tagged(r.log, "SG0212")
    assert lines and "uid 65534" in lines[0] and "[semguard:warn]" in lines[0], r.log
    anchor2 = int(read_record(state_path(s))["run.anchor_shmid"])
    assert adv.segment(anchor2)["key"] == key + 1, adv.shm_segments()
    parent = int(read_record(state_path(s))["run.parent_pid"])
    sets1 = identities()
    s.kill9()
    os.unlink(state_path(s))            # and from the IPC namespace alone
    r = s.start()
    got = reclaim_lines(r.log)
    assert set(got) == {parent} and sorted(got[parent]) == sorted(sets1), (got, r.log)
    assert adv.segment(squat) is not None, "the squatter's segment was removed"
    s.stop()


def test_damaged_state_file_namespace_copy_reclaims():
    """The state file is damaged between a crash and the next start (a
    truncated write, a stray edit): it is not used (SG0205), the record kept
    in the crashed run's anchor is (SG0217), and every set of the run is
    reclaimed; a live sibling's sets and look-alikes are untouched."""
    sibling = Server(name="sibling")
    sibling.start()
    lookalike = harness.create_set(uid="nobody", gid="nogroup", value=1)
    others = identities()
    s = Server(name="ours")
    s.start()
    path = state_path(s)
    parent = int(read_record(path)["run.parent_pid"])
    ours = {sid: i for sid, i in identities().items() if sid not in others}
    assert len(ours) == 3, ours
    s.kill9()
    with open(path, "r+") as f:           # damaged: the checksum no longer matches
        text = f.read()
        f.seek(0)
        f.write(text.replace("phase ", "phaze ", 1))
    r = s.start()
    assert tagged(r.log, "SG0205"), r.log
    used = tagged(r.log, "SG0217")
    assert len(used) == 1 and "[semguard:warn]" in used[0], r.log
    got = reclaim_lines(r.log)
    assert set(got) == {parent} and sorted(got[parent]) == sorted(ours), (got, r.log)
    assert_intact(others, "after the reclaim from the IPC namespace copy")
    assert lookalike in identities()
    assert sibling.get("/").status == 200
    s.stop()
    sibling.stop()


def test_anchor_costs_what_is_written():
    """The anchor is 256 KiB of address space, but only the pages written (the
    block and the records) are resident: the README's sizing holds."""
    s = Server()
    s.start()
    s.graceful()                          # more records written, in both slots
    anchor = int(read_record(state_path(s))["run.anchor_shmid"])
    seg = adv.segment(anchor)
    assert seg is not None and seg["size"] == 256 * 1024, seg
    assert "rss" in seg, seg
    assert 0 < seg["rss"] <= 32 * 1024, "anchor resident size %d bytes" % seg["rss"]
    s.stop()


def test_killed_mid_startup_loses_one_span_at_most():
    """The parent is killed in a REALLY_LAST post_config hook of its first
    pass (mod_leaktest's LeakTestPause): the sets of the MIDDLE hooks
    (mod_ssl's session cache, mod_leaktest's gen_middle) were noted in its
    anchor by the hook-span marker after them, so the next start reclaims
    them with the MPM's; only the REALLY_LAST hook's own sets, made after the
    last marker, are kept and named (SG0211)."""
    from leak_support import leaktest_config
    s = Server()
    paused = os.path.join(s.root, "run", "paused")
    s.reconfigure(extra=leaktest_config() + "\nLeakTestPause %s" % paused)
    before = identities()
    proc = subprocess.Popen(s._cmd("-k", "start"), stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env=s._env(), cwd=s.root, start_new_session=True)
    harness.wait_for(lambda: os.path.exists(paused), timeout=60, what="the pass to pause")
    with open(paused) as f:
        lines = f.read().split("\n")
    pid = int(lines[0])
    made = dict((l.split()[0], int(l.split()[1])) for l in lines[1:] if l.strip())
    made_now = {sid: i for sid, i in identities().items() if sid not in before}
    os.kill(pid, signal.SIGKILL)
    proc.wait(30)
    wait_gone([pid])
    late = {made["gen_last"], made["keep_parent"]}
    early = set(made_now) - late
    assert made["gen_middle"] in early and len(early) >= 3, (made, made_now)

    s.reconfigure(extra=leaktest_config())
    r = s.start(remove_stale_pidfile=True)
    got = reclaim_lines(r.log)
    assert set(got) == {pid}, (got, r.log)
    assert sorted(got[pid]) == sorted(early), (got, early, r.log)
    kept = tagged(r.log, "SG0211")
    assert len(kept) == 1, r.log
    named = set(int(x) for x in re.findall(r"ipcs -s -i (\d+)", kept[0]))
    assert named == late, (named, late, kept[0])
    assert late <= set(identities())
    s.stop()


if __name__ == "__main__":
    harness.run()
