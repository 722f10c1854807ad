"""Attacks on the second version of the creation cursors (commit 70133fd:
the ownership proof against a baseline listing the claiming process took
itself; span_marks.h, lifecycle.cc begin_pass), by an adversarial helper.
They failed on 70133fd; each says what closed it.

* test_one_process_allocator_cycle_between_passes_hides_accept_mutex and
  test_foreground_allocator_cycle_between_passes_hides_accept_mutex:
  apache2 -X and -DFOREGROUND (no detach: one process runs both passes).
  The real pass listed anew only when the baseline was another process's,
  so the chain of cursors ran on from the preflight's last cursor across
  httpd's re-reading of the configuration. Another root program churns a
  full cycle of the sequence number while the start is held (SIGSTOP) in
  that gap: the accept mutex was made in a hole below the last cursor, of
  the same era, the window was empty, and the mutex leaked after kill -9.
  Closed: every pass but the preflight begins with a listing of its own.
* test_enabled_by_reload_names_what_it_cannot_vouch_for: enabled by a
  graceful restart of a server started without the module, SG0232 said
  "no set of the running server was found unrecorded" while the server's
  ssl-cache mutex was live and unrecorded: mod_ssl made it in the preflight
  process, whose pid (its last user) is gone since the detach, so nothing
  can tell it from another program's set. Closed: SG0232 says that sets made
  before the detach cannot be found. Safety holds under churn: a foreign
  root set is never recorded nor reclaimed.

Seen and left (bench/README.md, "Listings"): a set the live parent makes in
the same pass before open_logs (check_config, pre_config, a directive
handler) is in that pass's baseline listing and is never claimed; no module
known to make mutexes does so before post_config, but the MPM's open_logs.

Run: python3 tests/integration/test_cursor_attacks_2.py [test_name ...]
"""

import os
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets, wait_for  # noqa: E402
from test_reclaim import state_path, read_record, recorded_ids, reclaim_lines  # noqa: E402
from test_cursor_attacks import (split, server_sets, to_era_start, touched_sets,  # noqa: E402
                                 preflight_ended, hide_next_set_below_last_cursor)


def _end_session(proc):
    """Ends every process of the session _start_held made (start_new_session:
    its id is proc.pid), and waits until none is left. Killing apache2 alone
    is not enough: under -DFOREGROUND its prefork children outlive it and keep
    the ports bound, so the next attempt failed with AH00072 (a fresh-clone CI
    run). The group's id cannot be reused while any member lives."""
    for sig in (signal.SIGCONT, signal.SIGKILL):
        try:
            os.killpg(proc.pid, sig)
        except ProcessLookupError:
            break
    proc.wait()
    wait_for(lambda: not _session_alive(proc.pid), timeout=10, interval=0.01,
             what="the processes of apache2's session %d to end" % proc.pid)


def _session_alive(pgid):
    try:
        os.killpg(pgid, 0)
        return True
    except ProcessLookupError:
        return False


def _start_held(s, flag, condition, attempts=8):
    """apache2 FLAG (-X or -DFOREGROUND: no detach) started by hand; SIGSTOP
    as soon as condition(attempt) holds. Returns (Popen, out path) or None."""
    for attempt in range(attempts):
        s.write_config()
        out_path = os.path.join(s.root, "logs", "one-process.out")
        out = open(out_path, "w")
        proc = subprocess.Popen(s._cmd(flag), stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, env=s._env(), cwd=s.root,
                                start_new_session=True)
        deadline = time.monotonic() + 20
        hit = False
        while time.monotonic() < deadline and proc.poll() is None:
            if condition(attempt):
                hit = harness.stop_process(proc.pid) and condition(attempt)
                break
            time.sleep(0.0002)
        if hit:
            return proc, out_path
        if proc.poll() is None:
            why = "missed the window"
        else:
            why = "apache2 exited %s before the window: %s" % (
                proc.returncode, open(out_path).read()[-400:].strip() or s.error_log()[-400:])
        _end_session(proc)
        out.close()
        print("    NOTE: attempt %d %s" % (attempt, why), flush=True)
        _clear_state(s)
    return None


def _clear_state(s):
    """The namespace's sets, the module's state and the pid files of a start
    that was ended, for another attempt."""
    harness.remove_all_sets()
    state_dir = os.path.join(s.root, "run")
    if os.path.isdir(state_dir):
        for n in os.listdir(state_dir):
            if n.startswith("semguard."):
                os.unlink(os.path.join(state_dir, n))
    for n in os.listdir(os.path.join(s.root, "logs")):
        if n.endswith(".pid"):
            os.unlink(os.path.join(s.root, "logs", n))


def _cycle_between_passes(flag):
    s = Server()
    to_era_start()   # few holders below the last cursor: the cycle stays 64 indices
    state_dir = os.path.join(s.root, "run")
    preflight_done = preflight_ended(state_dir)

    for _ in range(4):
        held = _start_held(s, flag, preflight_done)
        if held is None:
            harness.fail("never stopped apache2 %s between the preflight and the real pass" % flag)
        proc, out_path = held
        if os.environ.get("ADV_DEBUG"):
            print("    DEBUG at stop: %s" % [(split(x["semid"]), x["otime"]) for x in sem_sets()],
                  flush=True)
        hidden = hide_next_set_below_last_cursor()
        if hidden:
            break
        print("    NOTE: the last cursor was at the top of the cycle; holding again", flush=True)
        _end_session(proc)
        _clear_state(s)
        to_era_start()
        preflight_done = preflight_ended(state_dir)
    else:
        harness.fail("the preflight's last cursor was at the top of the cycle every time")
    era, last, holders = hidden
    os.kill(proc.pid, signal.SIGCONT)
    wait_for(lambda: proc.poll() is not None or s._probe(timeout=5), timeout=60, interval=0.1,
             what="apache2 %s to answer" % flag)
    assert proc.poll() is None, open(out_path).read() + s.error_log()
    for sid in holders:
        harness.remove_set(sid)
    live = server_sets()
    rec = read_record(state_path(s))
    if os.environ.get("ADV_DEBUG"):
        print("    DEBUG after: live %s record %s" % ([split(i) for i in live],
                                                     recorded_ids(rec)), flush=True)
    missing = sorted(set(live) - set(recorded_ids(rec)))
    parent = proc.pid
    if flag == "-X":
        os.kill(proc.pid, signal.SIGKILL)
    else:
        s.kill9()
    proc.wait()
    r = s.start(remove_stale_pidfile=True)
    left = sorted(sid for sid in server_sets() if sid in live)
    assert not missing and not left, (
        "apache2 %s: preflight's last cursor at (%d, %d); the server's sets %s (%s) are live, "
        "the record holds %s (missing %s); after kill -9 the next start reclaimed %s and left "
        "%s" % (flag, era, last, live, [split(i) for i in live], recorded_ids(rec), missing,
                sorted(reclaim_lines(r.log).get(parent, {})), left))
    s.stop()


@harness.timeout(300)
def test_one_process_allocator_cycle_between_passes_hides_accept_mutex():
    _cycle_between_passes("-X")


@harness.timeout(300)
def test_foreground_allocator_cycle_between_passes_hides_accept_mutex():
    _cycle_between_passes("-DFOREGROUND")


@harness.timeout(120)
def test_enabled_by_reload_names_what_it_cannot_vouch_for():
    """The module enabled by a graceful restart of a server started without
    it (begin_pass: Restart, not started). The server's ssl-cache mutex was
    made in the preflight process, whose pid is gone: SG0232 must not say
    that nothing is unrecorded, and must say that such sets cannot be found.
    Other root programs churn meanwhile, and a foreign root set last touched
    by this test is never recorded nor reclaimed."""
    from test_cursor_attacks import Churner
    s = Server(module=False)
    s.start()
    foreign = harness.create_set()
    harness.set_value(foreign, 1)   # SETVAL: last pid = this test process
    churn = Churner()
    try:
        s.params["module"] = True
        s.write_config()
        mark = s.log_mark()
        s.graceful()
        log = s.error_log(since=mark)
        time.sleep(0.5)
    finally:
        churn.stop()
    sg0232 = [ln for ln in log.splitlines() if "SG0232" in ln]
    assert sg0232, log
    live = sorted(touched_sets({foreign}))
    rec = recorded_ids(read_record(state_path(s)))
    assert foreign not in rec, (foreign, rec)
    unrecorded = sorted(x for x in live if x not in rec)
    s.kill9()
    r = s.start()
    got = reclaim_lines(r.log)
    assert foreign in server_sets(), ("foreign set reclaimed", foreign, got)
    s.stop()
    harness.remove_all_sets()   # the foreign set and what the killed churners left
    assert unrecorded, ("the test needs a set of the server made before the reload", live, rec)
    line = sg0232[0][sg0232[0].index("SG0232"):]
    assert "made before it detached" in line, line
    assert "no set of the running server was found unrecorded" not in line, line


if __name__ == "__main__":
    harness.run()
