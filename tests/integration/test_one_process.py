"""apache2 -X (one-process mode) and the record (issue #10).

In -X the parent itself serves: no detach, no children, and it drops to User
before serving (child_main's drop_privileges). So at its exit it can write
neither root's state file nor remove root's anchor, and httpd's own cleanups,
running as User, cannot remove a set that SemGuardProtect re-owned to root.

* test_x_clean_exit_no_post_mortem: -X ended as a user ends it (SIGTERM, then
  SIGINT for a second run): stock httpd leaves 0 sets, so does this; the next
  normal start says nothing of a crash (no SG0303, no "without a clean
  shutdown") and reclaims nothing.
* test_x_protect_on_leaves_no_set: the same with SemGuardProtect On: 0 sets
  left after the exit (the old module left the three re-owned sets behind),
  SG0216 says why the sets were not protected in this mode, and no post-mortem.
* test_x_killed_is_still_a_crash: -X with Protect On killed with SIGKILL: its
  sets are still there, and the next start reclaims every one of them as a
  crash's (SG0201, SG0303 "ended without a clean shutdown").

Run: python3 tests/integration/test_one_process.py [test_name ...]
"""

import os
import signal
import subprocess
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets, wait_for  # noqa: E402
from test_reclaim import identities, tagged, reclaim_lines, state_path, read_record  # noqa: E402


class OneProcess:
    """``apache2 -X`` with ``server``'s configuration, started by hand."""

    def __init__(self, server):
        self.server = server
        server.write_config()
        self.out_path = os.path.join(server.root, "logs", "one-process.out")
        self.out = open(self.out_path, "w")
        self.proc = subprocess.Popen(server._cmd("-X"), stdin=subprocess.DEVNULL,
                                     stdout=self.out, stderr=subprocess.STDOUT,
                                     env=server._env(), cwd=server.root, start_new_session=True)

        def up():
            if self.proc.poll() is not None:
                raise AssertionError("apache2 -X exited (%s) while starting:\n%s\n%s" % (
                    self.proc.returncode, self.output(), server.error_log()))
            return server._probe(timeout=5)
        wait_for(up, timeout=60, interval=0.1, what="apache2 -X to answer")

    def end(self, sig):
        os.kill(self.proc.pid, sig)
        try:
            rc = self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(10)
            raise AssertionError("apache2 -X did not exit within 60s of signal %d" % sig)
        self.out.close()
        return rc

    def output(self):
        with open(self.out_path) as f:
            return f.read()


def _run_x(s, sig):
    mark = s.log_mark()
    x = OneProcess(s)
    assert s.get("/").status == 200
    sets = identities()
    assert len(sets) >= 2, sets            # accept mutex, ssl-cache, rewrite-map
    rc = x.end(sig)
    return sets, rc, s.error_log(since=mark)


def _assert_no_post_mortem(text, where):
    assert not tagged(text, "SG0303"), "%s: false post-mortem:\n%s" % (where, text)
    ours = "\n".join(l for l in text.splitlines() if "semguard" in l)
    for words in ("without a clean shutdown", "crash"):
        assert words not in ours, "%s: %r in the log:\n%s" % (where, words, text)
    assert not tagged(text, "SG0201"), "%s: reclaimed something:\n%s" % (where, text)


def test_x_clean_exit_no_post_mortem():
    s = Server()
    for sig in (signal.SIGTERM, signal.SIGINT):
        _, rc, text = _run_x(s, sig)
        assert sem_sets() == [], "sets left after -X ended (signal %d): %r" % (sig, sem_sets())
        assert rc == 0, (rc, text)
        r = s.start(remove_stale_pidfile=True)
        _assert_no_post_mortem(r.log, "start after -X ended by signal %d" % sig)
        s.stop()
        assert sem_sets() == [], sem_sets()


def test_x_protect_on_leaves_no_set():
    s = Server(extra="SemGuardProtect On")
    sets, rc, text = _run_x(s, signal.SIGTERM)
    assert sem_sets() == [], "sets left after -X with SemGuardProtect On: %r" % sem_sets()
    lines = tagged(text, "SG0216")
    assert len(lines) == 1 and "[semguard:notice]" in lines[0], text
    r = s.start(remove_stale_pidfile=True)
    _assert_no_post_mortem(r.log, "start after -X with Protect On")
    s.stop()


def test_x_killed_is_still_a_crash():
    s = Server(extra="SemGuardProtect On")
    sets, _, _ = _run_x(s, signal.SIGKILL)
    left = identities()
    assert sorted(left) == sorted(sets), (left, sets)
    parent = int(read_record(state_path(s))["run.parent_pid"])
    r = s.start(remove_stale_pidfile=True)
    got = reclaim_lines(r.log)
    assert set(got) == {parent} and sorted(got[parent]) == sorted(sets), (got, r.log)
    pm = tagged(r.log, "SG0303")
    assert pm and "ended without a clean shutdown" in pm[0], r.log
    assert not set(identities()) & set(sets)
    s.stop()


if __name__ == "__main__":
    harness.run()
