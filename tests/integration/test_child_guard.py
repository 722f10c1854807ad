"""The child guard, protection against outside removal, and the post-mortem.

Outside removal is reproduced as it happens in the field: `ipcrm` of a live
server's set (a cleanup script), here inside the test's private IPC namespace.
"""
import os
import re
import signal
import subprocess
import time

import harness
from harness import Server, sem_sets, wait_for

# Lines that stock httpd itself writes when its accept mutex disappears.
STOCK_REMOVAL_NOISE = [r"AH00144", r"AH00050", r"AH02818", r"AH00146", r"AH00098"]


def recorded_sets(server):
    """{semid: type} of the running generation, from the module's state file."""
    run_dir = os.path.join(server.root, "run")
    names = [n for n in os.listdir(run_dir) if n.startswith("semguard.") and n.endswith(".state")]
    assert len(names) == 1, "expected one state file, found %r" % names
    sets = {}
    with open(os.path.join(run_dir, names[0])) as f:
        for line in f:
            if line.startswith("set "):
                fields = line.split()
                sets[int(fields[1])] = fields[-1]
    return sets


def semid_of(server, mutex_type):
    for semid, t in recorded_sets(server).items():
        if t == mutex_type:
            return semid
    raise AssertionError("no %s set recorded: %r" % (mutex_type, recorded_sets(server)))


def ipcrm_as(user, group, semid):
    """ipcrm run as another user: a cleanup script, or a CGI without suexec."""
    return subprocess.run(["setpriv", "--reuid=%s" % user, "--regid=%s" % group,
                           "--clear-groups", "ipcrm", "-s", str(semid)],
                          capture_output=True, text=True, timeout=10)


def semguard_lines(server, since=None):
    return [l for l in server.error_log(since).splitlines() if "[semguard:" in l]


def pid_of_line(line):
    m = re.search(r"\[pid (\d+)", line)
    return int(m.group(1)) if m else None


def test_outside_removal_is_named_once_and_in_the_post_mortem():
    s = Server()
    s.start()
    accept = semid_of(s, "mpm-accept")
    mark = s.log_mark()
    r = subprocess.run(["ipcrm", "-s", str(accept)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    # Stock prefork: a child fails on the mutex (AH00144) and the parent exits.
    wait_for(lambda: s.pids().parent is None, timeout=20, what="httpd to stop after the removal")
    # A child blocked in accept() may outlive the parent (stock behaviour);
    # it holds the ports, so it goes before the next start.
    s.kill9()
    removed = s.log_lines("SG0301", since=mark)
    assert len(removed) == 1, "expected exactly one SG0301, got:\n" + "\n".join(removed)
    assert "[semguard:emerg]" in removed[0]
    assert "set %d (mpm-accept) removed" % accept in removed[0], removed[0]
    assert "RemoveIPC" in removed[0] and "ipcrm" in removed[0]
    assert s.log_lines("AH00144", since=mark), "stock httpd did not report the lost mutex"
    # The message comes before the server is gone: before or at the parent's exit.
    log = s.error_log(since=mark)
    assert log.index("SG0301") < log.index("AH00050") or "AH02818" in log

    mark = s.log_mark()
    s.start()
    pm = s.log_lines("SG0303", since=mark)
    assert len(pm) == 1, pm
    assert "%d (mpm-accept)" % accept in pm[0] and "removed from outside" in pm[0], pm[0]
    s.assert_log_clean(allowed=STOCK_REMOVAL_NOISE + ["SG0301"])


def test_post_mortem_names_a_removal_even_when_the_parent_was_killed():
    """The parent never gets to write the record: the child's note in the
    anchor segment is what the next start reads."""
    s = Server()
    s.start()
    accept = semid_of(s, "mpm-accept")
    parent = s.pids().parent
    os.kill(parent, 19)  # SIGSTOP: it will neither exit cleanly nor write anything
    mark = s.log_mark()
    subprocess.run(["ipcrm", "-s", str(accept)], check=True)
    wait_for(lambda: s.log_lines("SG0301", since=mark), timeout=20, what="a child's SG0301")
    s.kill9()
    mark = s.log_mark()
    s.start()
    pm = s.log_lines("SG0303", since=mark)
    assert len(pm) == 1, pm
    assert "ended without a clean shutdown" in pm[0], pm[0]
    assert "%d (mpm-accept) were removed from outside" % accept in pm[0], pm[0]
    s.assert_log_clean(allowed=STOCK_REMOVAL_NOISE + ["SG0301"])


def test_protection_blocks_removal_by_user_and_survives_restarts():
    s = Server(extra="SemGuardProtect On")
    s.start()
    nogroup = 65534

    def check_protected():
        sets = recorded_sets(s)
        live = {x["semid"]: x for x in sem_sets()}
        assert set(sets) <= set(live), (sets, live)
        for semid in sets:
            x = live[semid]
            assert (x["uid"], x["gid"], x["perms"]) == (0, nogroup, 0o660), x
            r = ipcrm_as("nobody", "nogroup", semid)
            assert r.returncode != 0 and "permission denied" in r.stderr, (semid, r.stderr)
        assert s.get("/").status == 200
        return sets

    before = check_protected()
    assert len(before) == 3
    s.graceful()
    check_protected()
    s.restart()
    after = check_protected()
    assert len(after) == 3
    # Children keep serving through the group permission.
    for _ in range(20):
        assert s.get("/").status == 200
    s.assert_log_clean()


def test_without_protection_user_can_remove_as_with_stock_httpd():
    s = Server()
    s.start()
    accept = semid_of(s, "mpm-accept")
    x = [x for x in sem_sets() if x["semid"] == accept][0]
    assert (x["uid"], x["perms"]) == (65534, 0o600), x
    r = ipcrm_as("nobody", "nogroup", accept)
    assert r.returncode == 0, r.stderr
    wait_for(lambda: s.pids().parent is None, timeout=20, what="httpd to stop after the removal")
    assert len(s.log_lines("SG0301")) == 1


def test_child_check_changes_no_semaphore():
    s = Server()
    s.start()
    sets = recorded_sets(s)
    # The accept mutex is legitimately operated on by idle children; the
    # others are touched only by requests that use them, which we make none of.
    quiet = [semid for semid, t in sets.items() if t != "mpm-accept"]
    assert len(quiet) == 2
    before = {i: (harness.get_value(i), harness.get_pid(i), harness.sem_set(i)["otime"])
              for i in quiet}
    children = s.pids().children
    assert children
    # New children run child_init (and old ones the exit check).
    harness._kill_pids(children)  # one may have exited since the listing (MPM churn)
    wait_for(lambda: len(set(s.pids().children) - set(children)) >= 2, timeout=20,
             what="new children")
    time.sleep(0.5)
    after = {i: (harness.get_value(i), harness.get_pid(i), harness.sem_set(i)["otime"])
             for i in quiet}
    assert before == after, (before, after)
    assert not s.log_lines("SG03")


def test_no_lines_from_children_in_the_normal_case():
    s = Server(log_level="info")
    s.start()
    parent = s.pids().parent
    for _ in range(30):
        assert s.get("/").status == 200
    s.graceful()
    parent_after = s.pids().parent
    harness._kill_pids(s.pids().children[:2], signal.SIGTERM)
    time.sleep(1)
    s.stop()
    lines = semguard_lines(s)
    assert lines, "the module logged nothing at all"
    foreign = [l for l in lines if pid_of_line(l) not in (parent, parent_after)]
    # The preflight pass runs in the pre-detach process: allow its pid too,
    # but no child may have written anything.
    children_lines = [l for l in foreign if "SG03" in l or "SG09" in l]
    assert not children_lines, "\n".join(children_lines)


def test_unusable_set_is_reported_once_by_a_new_child():
    s = Server()
    s.start()
    rewrite = semid_of(s, "rewrite-map")
    # The mark comes first: a child still in its child_init (slow under ASan)
    # may already see the change and report it.
    mark = s.log_mark()
    # Re-own the set so that the children (nobody) can no longer use it.
    harness._ipc_set_owner(rewrite, uid=0, gid=0, mode=0o600)
    harness._kill_pids(s.pids().children)
    wait_for(lambda: s.log_lines("SG0302", since=mark), timeout=20,
             what="a child to report the unusable set")
    time.sleep(1)
    lines = s.log_lines("SG0302", since=mark)
    assert len(lines) == 1, lines
    assert "%d (rewrite-map)" % rewrite in lines[0], lines[0]


if __name__ == "__main__":
    harness.run()
