"""mod_semguard's startup headroom check against the real Debian apache2.

What is checked (reference config: prefork, two Listens, ``Mutex sysvsem
default``, SSL with shmcb, ``RewriteMap prg:``, User nobody):

* SG0101 summary: once per start (in the real pass, in the detached parent)
  and once per graceful / hard restart, with the kernel's figures at that
  moment and "needs 2 arrays" (mpm-accept + rewrite-map; the ssl-cache set
  lives in the process pool and is made in the preflight pass only).
* SG0110 warning when the use after the pass crosses SemGuardWarnAt, with a
  usable ``sysctl -w kernel.sem=...`` line and the alternatives; silent with a
  higher SemGuardWarnAt.
* SG0111 (3 lines) when the need exceeds what is free: on the start's stderr
  (the failure is in the preflight pass, before the error log is open) and,
  once core opened it, in the error log, before httpd's own AH00023; SG0112 with SemGuardRefuseStart On, which stops the
  start before any mutex exists.
* SG0102 when no mutex uses SysV semaphores (APR default pthread, fcntl).
* Stock httpd in the same exhausted namespace: AH00023 and nothing else.

How the expected figures are derived
------------------------------------
Nothing else runs in the test's IPC namespace.  Before a start the namespace
holds only the planted foreign sets (F arrays, S semaphores).  The preflight
pass creates mpm-accept, rewrite-map and ssl-cache; the pconf cleanup between
the passes removes mpm-accept and rewrite-map; ssl-cache (process pool, one
semaphore) stays.  So at the real pass's check the kernel has F+1 arrays and
S+1 semaphores in use.  At a restart the old generation's pconf sets are
already gone: again F+1 / S+1.

Note on lsipc: util-linux 2.38.1 (Debian 12) reports for SEMMNS "used" the
number of *sets*, not of semaphores (3 sets of 1, 3 and 5 semaphores give
"used 3"; ``ipcs -u -s`` and the kernel say 9).  The array figure and both
limits are therefore compared with ``lsipc_usage()``, the semaphore figure with
``ipcs -u -s`` "allocated semaphores" (= sum of nsems in /proc/sysvipc/sem).

Run: python3 tests/integration/test_headroom.py [test_name ...]
"""

import datetime
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets, lsipc_usage, set_sem_limits, create_set  # noqa: E402

# Foreign sets planted before a start: not httpd-like (keyed / other modes,
# several semaphores), so the figures are not trivial and nothing of the
# module's look-alike logic is involved.
FOREIGN_NSEMS = (1, 3)

SUMMARY_RE = re.compile(
    r"SG0101: mutexes: (?P<mechs>.*?); SysV arrays (?P<au>\d+)/(?P<al>\d+) in use, "
    r"semaphores (?P<su>\d+)/(?P<sl>\d+) in use; this configuration needs "
    r"(?P<na>\d+)(?P<atmost> \(at most\))? arrays and (?P<ns>\d+) semaphores"
    r"(?P<rest>.*)$")
PID_RE = re.compile(r"\[pid (\d+)(?::tid \d+)?\]")
TS_RE = re.compile(r"^\[(\w{3} \w{3} +\d+ \d\d:\d\d:\d\d\.\d{6} \d{4})\]")
# httpd's own AH00023 log line (the SG0111 text quotes "AH00023" too)
AH00023_RE = re.compile(r"\[core:emerg\].*No space left on device: AH00023: "
                        r"Couldn't create the (\S+) mutex")
SYSCTL_RE = re.compile(r'sysctl -w kernel\.sem="(\d+) (\d+) (\d+) (\d+)"')
REF_TYPES = ("mpm-accept", "ssl-cache", "rewrite-map")


# ---------------------------------------------------------------------------
# helpers (local to this file)
# ---------------------------------------------------------------------------

def semaphores_in_use():
    """Kernel's count of allocated semaphores (``ipcs -u -s``), cross-checked
    against the sum of nsems of every set."""
    out = subprocess.run(["ipcs", "-u", "-s"], check=True, capture_output=True,
                         text=True, timeout=10).stdout
    m = re.search(r"allocated semaphores\s*=\s*(\d+)", out)
    assert m, "cannot parse ipcs -u -s:\n%s" % out
    n = int(m.group(1))
    total = sum(s["nsems"] for s in sem_sets())
    assert n == total, "ipcs says %d semaphores, /proc/sysvipc/sem sums to %d" % (n, total)
    return n


def usage_now():
    """(arrays used, arrays limit, semaphores used, semaphores limit)."""
    u = lsipc_usage()
    arrays = u["SEMMNI"]["used"]
    assert arrays == len(sem_sets()), (u, sem_sets())
    return arrays, u["SEMMNI"]["limit"], semaphores_in_use(), u["SEMMNS"]["limit"]


def plant_foreign(n_arrays, nsems=FOREIGN_NSEMS):
    """Create ``n_arrays`` sets that are not httpd's (cycling through
    ``nsems``, keyed, mode 0644); returns their semids."""
    ids = []
    for i in range(n_arrays):
        _planted[0] += 1
        ids.append(create_set(nsems=nsems[i % len(nsems)], key=0x5e6a0000 + _planted[0],
                              mode=0o644))
    return ids


_planted = [0]


def set_ids():
    return [s["semid"] for s in sem_sets()]


def lines_with(text, tag):
    return [l for l in text.splitlines() if tag in l]


def start_output(s, n=None):
    """Text of logs/start-N.out (stdout+stderr of ``apache2 -k start``)."""
    n = s.starts if n is None else n
    with open(os.path.join(s.root, "logs", "start-%d.out" % n)) as f:
        return f.read()


def stamp(line):
    """Timestamp of an httpd log line as a datetime (microseconds)."""
    m = TS_RE.match(line)
    assert m, "no timestamp in %r" % line
    return datetime.datetime.strptime(re.sub(r" +", " ", m.group(1)), "%a %b %d %H:%M:%S.%f %Y")


def line_pid(line):
    m = PID_RE.search(line)
    assert m, "no pid in %r" % line
    return int(m.group(1))


def parse_summary(line):
    m = SUMMARY_RE.search(line)
    assert m, "SG0101 line does not have the documented form:\n  %s" % line
    return m


def assert_summary(line, arrays, arrays_limit, sems, sems_limit, need=2):
    m = parse_summary(line)
    got = tuple(int(m.group(k)) for k in ("au", "al", "su", "sl"))
    want = (arrays, arrays_limit, sems, sems_limit)
    assert got == want, ("SG0101 figures (arrays U/L, semaphores U/L) %r, expected %r:\n  %s"
                         % (got, want, line))
    assert int(m.group("na")) == need and int(m.group("ns")) == need and not m.group("atmost"), \
        "expected 'needs %d arrays and %d semaphores' (exact):\n  %s" % (need, need, line)
    mechs = m.group("mechs")
    sysv = re.search(r"sysvsem \(([^)]*)\)", mechs)
    assert sysv, "summary does not name sysvsem: %s" % line
    types = [t.strip() for t in sysv.group(1).split(",")]
    for t in REF_TYPES:
        assert t in types, "summary does not list %s under sysvsem: %s" % (t, line)
    assert "undo structures are not limited on this OS" in m.group("rest"), line
    return m


def assert_output_only(text, allowed, what="start output"):
    """Every non-empty line of ``text`` matches one of ``allowed``."""
    pats = [re.compile(p) for p in allowed]
    bad = [l for l in text.splitlines() if l.strip() and not any(p.search(l) for p in pats)]
    assert not bad, "unexpected line(s) in %s:\n%s" % (what, "\n".join("    " + l for l in bad))


def exhaust_for_three(limit=16):
    """SEMMNI=limit and limit-2 foreign sets: 2 arrays free, the reference
    config needs 3 in its first pass.  Returns the foreign semids."""
    set_sem_limits(250, 32000, 32, limit)
    return plant_foreign(limit - 2, nsems=(1,))


# ---------------------------------------------------------------------------
# 1. summary on start
# ---------------------------------------------------------------------------

def test_summary_once_per_start_with_kernel_figures():
    """One SG0101 per start, in the real pass (the detached parent), with
    arrays = lsipc before start + 1 (ssl-cache), semaphores = ipcs + 1, the
    limits from lsipc, 'needs 2 arrays'; the figures are different across two
    starts with different foreign load."""
    plant_foreign(2)
    s = Server()
    for cycle, extra_foreign in ((1, 0), (2, 3)):
        plant_foreign(extra_foreign)
        au, al, su, sl = usage_now()
        assert au == 2 + (3 if cycle == 2 else 0), au
        assert su > au, "foreign sets should hold more semaphores than arrays: %d/%d" % (su, au)
        res = s.start()
        summaries = lines_with(res.log, "SG0101")
        assert len(summaries) == 1, "start %d: expected exactly one SG0101, got %d:\n%s" % (
            cycle, len(summaries), res.log)
        assert "SG0101" not in res.output, "SG0101 on the start's stderr too:\n%s" % res.output
        assert_summary(summaries[0], au + 1, al, su + 1, sl, need=2)
        assert line_pid(summaries[0]) == res.parent, \
            "SG0101 not logged by the running parent %d (real pass):\n  %s" % (res.parent, summaries[0])
        # nothing else from the headroom check in a roomy namespace
        for tag in ("SG0102", "SG0110", "SG0111", "SG0112", "SG0120", "SG0121"):
            assert tag not in res.log + res.output, "%s logged:\n%s" % (tag, res.log)
        assert_output_only(res.output, [], "start-%d.out" % s.starts)
        # running: the three reference sets exist on top of the foreign ones
        assert usage_now()[0] == au + 3, (usage_now(), au)
        s.assert_log_clean(since_start=True)
        s.stop()
        assert usage_now()[0] == au, "sets left after stop: %r" % sem_sets()
    assert len(lines_with(s.error_log(), "SG0101")) == 2


# ---------------------------------------------------------------------------
# 2. summary on graceful and hard restart
# ---------------------------------------------------------------------------

def _check_restart(s, how, foreign_arrays):
    before_ids = set(set_ids())
    au, al, su, sl = usage_now()
    assert au == foreign_arrays + 3, (au, sem_sets())
    mark = s.log_mark()
    getattr(s, how)()
    log = s.error_log(since=mark)
    summaries = lines_with(log, "SG0101")
    assert len(summaries) == 1, "%s: expected exactly one new SG0101, got %d:\n%s" % (
        how, len(summaries), log)
    # at the check the old generation's pconf sets (mpm-accept, rewrite-map)
    # were removed; only the foreign sets and the carried ssl-cache set remain
    assert_summary(summaries[0], au - 2, al, su - 2, sl, need=2)
    assert line_pid(summaries[0]) == s.pids().parent, summaries[0]
    after_ids = set(set_ids())
    au2, _, su2, _ = usage_now()
    assert (au2, su2) == (au, su), "after %s: %r, before %r" % (how, (au2, su2), (au, su))
    kept = before_ids & after_ids
    assert len(kept) == foreign_arrays + 1, \
        "%s: expected the foreign sets + ssl-cache to survive, kept %r of %r" % (
            how, sorted(kept), sorted(before_ids))
    assert len(after_ids - before_ids) == 2, (how, before_ids, after_ids)
    for tag in ("SG0110", "SG0111", "SG0112"):
        assert tag not in log, "%s after %s:\n%s" % (tag, how, log)
    s.assert_log_clean(since=mark)


def test_summary_on_graceful_and_hard_restart():
    """`-k graceful` and `-k restart` each log one new SG0101 whose figures
    are the kernel's at that moment (foreign + ssl-cache), 'needs 2 arrays'."""
    foreign = plant_foreign(2)
    s = Server()
    s.start()
    _check_restart(s, "graceful", len(foreign))
    _check_restart(s, "restart", len(foreign))
    _check_restart(s, "graceful", len(foreign))
    assert len(lines_with(s.error_log(), "SG0101")) == 4
    s.stop()
    assert set_ids() == sorted(foreign), sem_sets()
    s.assert_log_clean()


# ---------------------------------------------------------------------------
# 3. warning at the threshold
# ---------------------------------------------------------------------------

def test_warning_at_threshold_and_silenced_by_warn_at():
    """SEMMNI 16 with 11 foreign sets: after the real pass 11+1+2 = 14 of 16
    arrays (87%) are in use -> SG0110 with a raised SEMMNI in a sysctl line,
    /etc/sysctl.d and the pthread/fcntl alternatives.  SemGuardWarnAt 95 in the
    same situation: no SG0110 (SG0101 still)."""
    set_sem_limits(250, 32000, 32, 16)
    plant_foreign(11)
    au, al, su, sl = usage_now()
    assert (au, al) == (11, 16)
    s = Server()
    res = s.start()
    assert_summary(lines_with(res.log, "SG0101")[0], au + 1, 16, su + 1, sl)
    warns = lines_with(res.log, "SG0110")
    assert len(warns) == 1, "expected one SG0110:\n%s" % res.log
    w = warns[0]
    assert "[semguard:warn]" in w, w
    assert line_pid(w) == res.parent, w
    after = au + 1 + 2
    assert "%d of 16 arrays (SEMMNI)" % after in w, w
    assert "(%d%%, SemGuardWarnAt 80%%)" % (after * 100 // 16) in w, w
    assert 'sysctl -w kernel.sem="250 32000 32 ' in w, w
    m = SYSCTL_RE.search(w)
    assert m, w
    msl, mns, opm, mni = (int(x) for x in m.groups())
    assert (msl, opm) == (250, 32), w
    assert mns >= 32000, w
    assert mni > 16 and mni >= 2 * after, "SEMMNI not raised enough (%d):\n  %s" % (mni, w)
    assert "/etc/sysctl.d" in w, w
    assert "Mutex pthread" in w and "Mutex fcntl" in w, w
    assert "SG0110" not in res.output, res.output
    # the raised value really gives room: the warning is gone with it
    s.assert_log_clean(allowed=("SG0110",), since_start=True)
    s.stop()

    s.reconfigure(extra="SemGuardWarnAt 95")
    assert usage_now()[0] == au
    res = s.start()
    assert len(lines_with(res.log, "SG0101")) == 1, res.log
    assert not lines_with(res.log, "SG0110"), "SG0110 despite SemGuardWarnAt 95:\n%s" % res.log
    s.assert_log_clean(since_start=True)
    s.stop()

    # and with the limit the sysctl line suggests, nothing to warn about
    set_sem_limits(msl, mns, opm, mni)
    s.reconfigure(extra="")
    res = s.start()
    assert_summary(lines_with(res.log, "SG0101")[0], au + 1, mni, su + 1, mns)
    assert not lines_with(res.log, "SG0110"), res.log
    s.assert_log_clean(since_start=True)


def test_exactly_enough_arrays_starts_with_warning():
    """Boundary: 13 foreign sets at SEMMNI 16 leave exactly the 3 arrays the
    first pass needs: the start succeeds, no SG0111, SG0110 says 16 of 16
    (100%), and all 16 arrays are in use afterwards."""
    set_sem_limits(250, 32000, 32, 16)
    plant_foreign(13)
    au, al, su, sl = usage_now()
    s = Server()
    res = s.start()
    assert "SG0111" not in res.output + res.log, res.output + res.log
    assert_summary(lines_with(res.log, "SG0101")[0], au + 1, 16, su + 1, sl)
    warns = lines_with(res.log, "SG0110")
    assert len(warns) == 1 and "16 of 16 arrays (SEMMNI)" in warns[0] and "(100%" in warns[0], \
        res.log
    assert usage_now()[0] == 16
    s.assert_log_clean(allowed=("SG0110",), since_start=True)


# ---------------------------------------------------------------------------
# 4. exhaustion
# ---------------------------------------------------------------------------

def _exhausted_start(s, foreign):
    au = usage_now()[0]
    assert au == len(foreign)
    res = s.start(expect_ok=False)
    assert res.parent is None and not s.running(), res
    out = start_output(s)
    assert out == res.output
    return au, res, out


def _check_sg0111(out, limit, in_use, needed):
    sg = lines_with(out, "SG0111")
    assert len(sg) == 3, "expected the three SG0111 lines on the start's stderr:\n%s" % out
    for l in sg:
        assert "[semguard:emerg]" in l, l
    assert "semaphore arrays (SEMMNI)" in sg[0] and "ENOSPC" in sg[0] and "AH00023" in sg[0], sg[0]
    want = "SG0111: limit %d, in use %d, free %d, needed %d; 0 of those in use are held by " \
           "sets this server left behind" % (limit, in_use, limit - in_use, needed)
    assert want in sg[1], "second SG0111 line:\n  %s\nexpected:\n  %s" % (sg[1], want)
    assert "not about disk space" in sg[2], sg[2]
    assert 'sysctl -w kernel.sem="250 32000 32 ' in sg[2] and "/etc/sysctl.d" in sg[2], sg[2]
    m = SYSCTL_RE.search(sg[2])
    assert m and int(m.group(4)) > limit, sg[2]
    assert "Mutex pthread" in sg[2] and "Mutex fcntl" in sg[2], sg[2]
    # consecutive, in this order
    lines = out.splitlines()
    idx = [lines.index(l) for l in sg]
    assert idx == list(range(idx[0], idx[0] + 3)), "SG0111 lines not consecutive:\n%s" % out
    return sg


def test_exhaustion_explained_before_ah00023():
    """14 foreign sets at SEMMNI 16 (2 free, 3 needed): the start fails; its
    stderr carries the three SG0111 lines (what fails; 'limit 16, in use 14,
    free 2, needed 3'; 'not about disk space'), and the error log carries
    them too, before httpd's own AH00023; nothing is left behind."""
    foreign = exhaust_for_three(16)
    s = Server()
    au, res, out = _exhausted_start(s, foreign)
    sg = _check_sg0111(out, 16, au, 3)
    for tag in ("SG0101", "SG0110", "SG0112"):
        assert tag not in out + res.log, "%s in a failed start:\n%s\n%s" % (tag, out, res.log)
    # httpd's own failure follows (in the error log, opened by core after the check)
    stock = [l for l in (out + "\n" + res.log).splitlines() if AH00023_RE.search(l)]
    assert len(stock) == 1, "expected one AH00023:\n--- out:\n%s\n--- log:\n%s" % (out, res.log)
    for l in sg:
        assert stamp(l) <= stamp(stock[0]), "SG0111 after AH00023:\n  %s\n  %s" % (l, stock[0])
    if AH00023_RE.search(out):
        lines = out.splitlines()
        assert lines.index(sg[-1]) < lines.index(stock[0]), out
    # ... and the same three lines are in the error log, where httpd's AH00023
    # is, ahead of it (issue #12: who reads error.log after a failed
    # `systemctl start` must find the explanation there)
    in_log = lines_with(res.log, "SG0111")
    assert [l.split("SG0111: ", 1)[1] for l in in_log] == \
        [l.split("SG0111: ", 1)[1] for l in sg], \
        "the SG0111 lines are not repeated in the error log:\n%s" % res.log
    log_lines = res.log.splitlines()
    stock_in_log = [l for l in log_lines if AH00023_RE.search(l)]
    if stock_in_log:
        assert log_lines.index(in_log[-1]) < log_lines.index(stock_in_log[0]), res.log
    assert line_pid(sg[0]) == line_pid(stock[0]), "not the same (preflight) process:\n%s\n%s" % (
        sg[0], stock[0])
    assert set_ids() == sorted(foreign), "the failed start left sets: %r" % sem_sets()
    assert_output_only(out, [r"SG0111:"], "start-1.out")
    s.assert_log_clean(allowed=(r"SG0111:", r"AH00023:", r"^AH00016: Configuration Failed"))


# ---------------------------------------------------------------------------
# 5. refusal
# ---------------------------------------------------------------------------

def test_refuse_start_creates_no_mutex():
    """SemGuardRefuseStart On in the same situation: SG0111 then SG0112 on
    stderr, httpd's AH00015, no AH00023 (no mutex was attempted), the start
    fails and the kernel's sets are exactly the foreign ones throughout."""
    foreign = exhaust_for_three(16)
    shm_before = harness.shm_segments()
    s = Server(extra="SemGuardRefuseStart On")
    au, res, out = _exhausted_start(s, foreign)
    assert res.returncode != 0, res
    _check_sg0111(out, 16, au, 3)
    refuse = lines_with(out, "SG0112")
    assert len(refuse) == 1 and "[semguard:emerg]" in refuse[0], out
    assert "SemGuardRefuseStart" in refuse[0], refuse[0]
    lines = out.splitlines()
    assert lines.index(refuse[0]) > max(lines.index(l) for l in lines_with(out, "SG0111")), out
    ah15 = [i for i, l in enumerate(lines) if l.startswith("AH00015: Unable to open logs")]
    assert len(ah15) == 1 and lines.index(refuse[0]) < ah15[0], \
        "expected httpd's AH00015 after SG0112:\n%s" % out
    everything = out + "\n" + res.log
    stock_lines = [l for l in everything.splitlines() if "AH00023" in l and "SG0111" not in l]
    assert not stock_lines, "httpd tried to create a mutex:\n%s" % everything
    assert set_ids() == sorted(foreign), "httpd created/left sets: %r" % sem_sets()
    shm_after = harness.shm_segments()
    assert shm_after == shm_before, "shared memory left behind: %s" % shm_after
    assert_output_only(out, [r"SG0111:", r"SG0112:", r"^AH00015: Unable to open logs"], "start-1.out")
    s.assert_log_clean()


# ---------------------------------------------------------------------------
# 4b. SEMMNS instead of SEMMNI; exhaustion at a restart
# ---------------------------------------------------------------------------

def test_semaphore_total_semmns_warning_and_exhaustion():
    """The same checks on the semaphore total: SEMMNS 20 with one foreign
    set of 14 semaphores: 15 + 2 = 17 of 20 (85%) -> SG0110 naming SEMMNS and
    raising SEMMNS (not SEMMNI) in its sysctl line.  SEMMNS 16: 2 free, 3
    needed -> SG0111 'limit 16, in use 14, free 2, needed 3' naming SEMMNS.
    (lsipc 2.38.1 would report 1 semaphore in use here; the module must not.)"""
    set_sem_limits(250, 20, 32, 32000)
    foreign = [create_set(nsems=14, key=0x5e6b0001, mode=0o644)]
    au, al, su, sl = usage_now()
    assert (au, su, sl) == (1, 14, 20)
    s = Server()
    res = s.start()
    assert_summary(lines_with(res.log, "SG0101")[0], 2, al, 15, 20)
    warns = lines_with(res.log, "SG0110")
    assert len(warns) == 1, res.log
    w = warns[0]
    assert "17 of 20 semaphores (SEMMNS)" in w and "(85%" in w, w
    m = SYSCTL_RE.search(w)
    assert m, w
    msl, mns, opm, mni = (int(x) for x in m.groups())
    assert (msl, opm, mni) == (250, 32, 32000), "only SEMMNS needs raising:\n  %s" % w
    assert mns >= 2 * 17, w
    s.assert_log_clean(allowed=("SG0110",), since_start=True)
    s.stop()

    set_sem_limits(250, 16, 32, 32000)
    au, res, out = _exhausted_start(s, foreign)
    sg = lines_with(out, "SG0111")
    assert len(sg) == 3, out
    assert "(SEMMNS)" in sg[0], sg[0]
    assert "limit 16, in use 14, free 2, needed 3;" in sg[1], sg[1]
    m = SYSCTL_RE.search(sg[2])
    assert m and int(m.group(2)) > 16 and int(m.group(4)) == 32000, sg[2]
    assert AH00023_RE.search(res.log), res.log
    assert set_ids() == foreign, sem_sets()
    s.assert_log_clean(allowed=(r"SG0111:", r"AH00023:", r"^AH00016: Configuration Failed"),
                       since_start=True)
    # last, so that the checks above still run: headroom.cc builds
    # "limit on semaphore " + "semaphores (SEMMNS)"
    assert "semaphore semaphores" not in sg[0], "garbled wording:\n  %s" % sg[0]
    assert "limit on semaphores (SEMMNS)" in sg[0], sg[0]


def _restart_into_exhaustion(extra):
    """SEMMNI 16, 13 foreign sets, the server running with its 3 (16/16);
    SEMMNI lowered to 15; graceful restart: at the check 14 are in use (the old
    generation's mpm-accept and rewrite-map are gone), 1 free, 2 needed.
    Returns (server, foreign semids, error log of the restart)."""
    set_sem_limits(250, 32000, 32, 16)
    foreign = plant_foreign(13, nsems=(1,))
    s = Server(extra=extra)
    s.start()
    assert usage_now()[0] == 16
    s.assert_log_clean(allowed=("SG0110",))      # 16 of 16 after the start
    set_sem_limits(250, 32000, 32, 15)
    mark = s.log_mark()
    assert s.graceful(expect_ok=False) is False
    assert not s.running()
    log = s.error_log(since=mark)
    assert "SG0101" not in log, log
    return s, foreign, mark, log


def test_exhaustion_at_restart_goes_to_error_log():
    """A restart that cannot get its 2 arrays: SG0111 (3 lines, 'limit 15, in
    use 14, free 1, needed 2') in the error log before httpd's AH00023 and
    AH00020; the parent exits; only the foreign sets are left."""
    s, foreign, mark, log = _restart_into_exhaustion("")
    sg = _check_sg0111(log, 15, 14, 2)
    stock = [l for l in log.splitlines() if AH00023_RE.search(l)]
    assert len(stock) == 1, log
    lines = log.splitlines()
    assert lines.index(sg[2]) < lines.index(stock[0]), "SG0111 not before AH00023:\n%s" % log
    assert set_ids() == sorted(foreign), "sets left after the failed restart: %r" % sem_sets()
    s.assert_log_clean(allowed=(r"SG0111:", r"AH00023:", r"AH00020: Configuration Failed, exiting"),
                       since=mark)


def test_refused_restart_creates_nothing_and_raises_no_false_alarm():
    """The same restart with SemGuardRefuseStart On: SG0111 then SG0112, httpd's
    'Unable to open logs' (AH00019 at a restart), no AH00023, the parent
    exits, only the foreign sets are left, and the module does not report the
    old generation's sets, which httpd itself removed at the restart, as
    'removed from outside' (SG0301)."""
    s, foreign, mark, log = _restart_into_exhaustion("SemGuardRefuseStart On")
    sg = _check_sg0111(log, 15, 14, 2)
    lines = log.splitlines()
    r = lines_with(log, "SG0112")
    assert len(r) == 1 and lines.index(r[0]) > lines.index(sg[2]), log
    ah19 = [i for i, l in enumerate(lines) if "AH00019: Unable to open logs" in l]
    assert len(ah19) == 1 and ah19[0] > lines.index(r[0]), log
    stock = [l for l in lines if "AH00023" in l and "SG0111" not in l]
    assert not stock, "refused restart still tried a mutex:\n%s" % log
    assert set_ids() == sorted(foreign), "sets left after the refused restart: %r" % sem_sets()
    # the next start (with room again) must not blame an outside removal either
    set_sem_limits(250, 32000, 32, 32000)
    mark2 = s.log_mark()
    s.start()       # httpd leaves its pid file after AH00019: AH00098 follows
    nxt = s.error_log(since=mark2)
    assert len(lines_with(nxt, "SG0101")) == 1, nxt
    s.assert_log_clean(allowed=harness.CRASH_NOISE, since=mark2)
    assert "SG0301" not in log, "false 'removed from outside' after a refused restart:\n%s" % (
        "\n".join(lines_with(log, "SG0301")))
    assert "removed from outside" not in nxt, \
        "the next start's post-mortem blames an outside removal:\n%s" % "\n".join(
            lines_with(nxt, "SG0303"))
    s.assert_log_clean(allowed=(r"SG0111:", r"SG0112:", r"AH00019: Unable to open logs")
                       + harness.CRASH_NOISE, since=mark)


REWRITE_LOAD = "LoadModule rewrite_module /usr/lib/apache2/modules/mod_rewrite.so"
REWRITE_PRG = REWRITE_LOAD + "\nRewriteEngine On\nRewriteMap upper prg:/bin/cat"


def test_restart_need_follows_config_change():
    """mod_rewrite loaded without a prg: map: the real pass creates 1 set
    (mpm-accept).  Adding `RewriteMap prg:` before a graceful restart makes it
    create 2: the restart's SG0101 must say 'needs 2 arrays', and when only 1
    array is free the restart must be explained by SG0111 before AH00023.
    (Removing the map again must bring the need back to 1.)"""
    s = Server(rewrite_map=False, extra=REWRITE_LOAD)
    res = s.start()
    m = parse_summary(lines_with(res.log, "SG0101")[0])
    assert int(m.group("na")) == 1, res.log
    assert usage_now()[0] == 2          # mpm-accept + ssl-cache
    s.reconfigure(extra=REWRITE_PRG)
    mark = s.log_mark()
    s.graceful()
    assert usage_now()[0] == 3, sem_sets()   # it did create 2
    line = lines_with(s.error_log(since=mark), "SG0101")[0]
    m = parse_summary(line)
    assert (int(m.group("na")), int(m.group("ns"))) == (2, 2), \
        "after adding RewriteMap prg: the restart creates 2 sets, SG0101 says:\n  %s" % line
    s.reconfigure(extra=REWRITE_LOAD)
    mark = s.log_mark()
    s.graceful()
    assert usage_now()[0] == 2, sem_sets()
    line = lines_with(s.error_log(since=mark), "SG0101")[0]
    assert int(parse_summary(line).group("na")) == 1, \
        "after removing RewriteMap prg: the restart creates 1 set, SG0101 says:\n  %s" % line
    s.stop()
    s.assert_log_clean()


def test_restart_exhaustion_after_config_change_is_explained():
    """The consequence of the projection above: SEMMNI 16, 14 foreign sets and
    the server's 2 (16/16).  A graceful restart after adding `RewriteMap prg:`
    frees the old mpm-accept (1 free) and needs 2: the module must log SG0111
    before httpd's AH00023 (not a silent 'needs 1 arrays' summary)."""
    set_sem_limits(250, 32000, 32, 16)
    foreign = plant_foreign(14, nsems=(1,))
    s = Server(rewrite_map=False, extra=REWRITE_LOAD)
    s.start()
    assert usage_now()[0] == 16
    s.reconfigure(extra=REWRITE_PRG)
    mark = s.log_mark()
    assert s.graceful(expect_ok=False) is False
    log = s.error_log(since=mark)
    stock = [l for l in log.splitlines() if AH00023_RE.search(l)]
    assert len(stock) == 1, log
    sg = lines_with(log, "SG0111")
    assert not s.running()
    assert set_ids() == sorted(foreign), sem_sets()
    assert len(sg) == 3, "restart failed with AH00023 but without SG0111:\n%s" % log
    assert "limit 16, in use 15, free 1, needed 2;" in sg[1], sg[1]
    assert log.splitlines().index(sg[2]) < log.splitlines().index(stock[0]), log
    assert "SG0101" not in log, log


# ---------------------------------------------------------------------------
# 6. configurations without SysV semaphores
# ---------------------------------------------------------------------------

def _check_no_sysv(mutex, mechanism):
    set_sem_limits(250, 32000, 32, 1)
    foreign = plant_foreign(1)          # the namespace is full: 1 of 1
    s = Server(mutex=mutex)
    res = s.start()
    text = res.output + "\n" + res.log
    notes = lines_with(res.log, "SG0102")
    assert len(notes) == 1, "expected one SG0102 (%s):\n%s" % (mechanism, text)
    n = notes[0]
    assert "[semguard:notice]" in n and "no mutex uses SysV semaphores" in n, n
    m = re.search(r"%s \(([^)]*)\)" % mechanism, n)
    assert m, "SG0102 does not name %s:\n  %s" % (mechanism, n)
    for t in REF_TYPES:
        assert t in m.group(1), n
    assert "sysvsem" not in n, n
    for tag in ("SG0101", "SG0110", "SG0111", "SG0112"):
        assert tag not in text, "%s with %s mutexes:\n%s" % (tag, mechanism, text)
    assert set_ids() == sorted(foreign), sem_sets()
    s.graceful()
    assert len(lines_with(s.error_log(), "SG0102")) == 2, s.error_log()
    assert "SG0101" not in s.error_log() and "SG0110" not in s.error_log()
    s.assert_log_clean()
    s.stop()


def test_no_sysv_with_apr_default_pthread():
    """No Mutex line (Debian's APR default is pthread): SG0102, no
    SG0101/SG0110 although SEMMNI is 1 and full."""
    _check_no_sysv(None, "pthread")


def test_no_sysv_with_mutex_fcntl():
    """`Mutex fcntl default`: SG0102 naming fcntl, nothing else."""
    _check_no_sysv("fcntl", "fcntl")


# ---------------------------------------------------------------------------
# 7. stock httpd in the same situation
# ---------------------------------------------------------------------------

def _normalise(line):
    line = TS_RE.sub("", line)
    return PID_RE.sub("[pid]", line).strip()


def test_stock_exhaustion_has_only_ah00023():
    """Without the module the same exhaustion fails with AH00023 and no SG
    line; with the module the same AH00023 comes after the SG0111 lines."""
    foreign = exhaust_for_three(16)
    stock = Server(name="stock", module=False)
    _, sres, sout = _exhausted_start(stock, foreign)
    stext = sout + "\n" + sres.log
    assert "SG0" not in stext and "semguard" not in stext, stext
    sah = [l for l in stext.splitlines() if AH00023_RE.search(l)]
    assert len(sah) == 1, stext
    assert set_ids() == sorted(foreign), sem_sets()
    stock.assert_log_clean(allowed=(r"AH00023:", r"^AH00016: Configuration Failed"))

    mod = Server(name="module")
    _, mres, mout = _exhausted_start(mod, foreign)
    mah = [l for l in (mout + "\n" + mres.log).splitlines() if AH00023_RE.search(l)]
    assert [_normalise(l) for l in mah] == [_normalise(l) for l in sah], (mah, sah)
    # the module adds exactly the three SG0111 lines
    def stripped(text):
        return sorted(_normalise(l) for l in text.splitlines()
                      if l.strip() and "SG0111" not in l)
    assert stripped(mout + "\n" + mres.log) == stripped(stext), \
        "module run differs from stock beyond SG0111:\n--- stock:\n%s\n--- module:\n%s" % (
            stext, mout + "\n" + mres.log)
    assert len(lines_with(mout, "SG0111")) == 3, mout


if __name__ == "__main__":
    harness.run()
