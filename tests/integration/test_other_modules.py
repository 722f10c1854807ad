"""Other modules' semaphore sets, reloads and parent-only sets (issue 11), on the
real apache2 with mod_leaktest (tests/modules/mod_leaktest.c, built with apxs
here), which leaks like ModSecurity 2.x / mod_bmx: a set per generation in a
REALLY_LAST and in a MIDDLE post_config hook (handed to User), and one
process-pool set the parent keeps for itself (root's, 0600). It is loaded after
mod_semguard. Its /leaktest handler locks every shared set: a set removed
while in use shows as a failed request.

* test_clean_stop_cycles: N x (start, request, stop): stock httpd keeps every
  leaked set; with mod_semguard 0 sets are left after each stop (SG0231 names
  mod_leaktest.c). N = 20 (SEMGUARD_SOAK=1: 50).
* test_graceful_growth: N x graceful under requests: one SG0230 per restart
  naming the module and 1 set per restart per hook, nothing in use removed,
  0 failed requests. N = 20.
* test_attribution_and_parent_only: the REALLY_LAST sets are recorded and named
  mod_leaktest.c on the page; the parent-only set shows present and
  parent-only, no SG0302; no leaked set is labelled with a mutex type.
* test_crash_loop_with_graceful: SEMMNI 16, N x (start, 2 x graceful,
  kill -9): stock fails to start; with the module every start succeeds.
* test_enable_by_reload: stock running, module enabled by graceful restart:
  SG0232 names what it cannot vouch for; kill -9; the next start succeeds
  and reclaims what was recorded since.
* test_ssl_cache_removed_before_graceful: ipcrm of the live ssl-cache set,
  then a graceful restart: SG0301 names it, ?json's removed_outside keeps it.
* test_status_405_allow: a POST to the page: 405 with Allow: GET, HEAD.
* test_relative_pidfile_recorded_where_httpd_writes_it: ``PidFile
  run/httpd.pid`` is recorded as ServerRoot/run/httpd.pid (was run/run/).

Run: python3 tests/integration/test_other_modules.py [test_name ...]
"""

import http.client
import json
import os
import re
import sys

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets, set_sem_limits  # noqa: E402
from leak_support import leaktest_config, sets_per_start  # noqa: E402

SOAK = os.environ.get("SEMGUARD_SOAK", "") not in ("", "0")
CYCLES = 50 if SOAK else 20


def ids():
    return {s["semid"] for s in sem_sets()}


def lean(**kw):
    """The reference configuration without mod_ssl (faster), plus mod_leaktest."""
    params = dict(ssl=False, semguard_status=True, extra=leaktest_config())
    params.update(kw)
    return params


def leaktest_ok(s):
    r = s.get("/leaktest")
    return r.status == 200, "%d %s" % (r.status, r.body.strip()[:200])


def status_json(s):
    r = s.get("/semguard-status?json")
    assert r.status == 200, r.status
    return json.loads(r.body)


@harness.timeout(300)
def test_clean_stop_cycles():
    base = ids()
    stock = Server(name="stock", **lean(module=False))
    for i in range(CYCLES):
        stock.start()
        ok, what = leaktest_ok(stock)
        assert ok, what
        stock.stop()
    stock_left = ids() - base
    assert len(stock_left) == CYCLES * sets_per_start(), (
        "stock httpd should keep %d leaked sets, has %d" % (CYCLES * sets_per_start(),
                                                           len(stock_left)))
    print("    stock httpd: %d sets left after %d clean stops" % (len(stock_left), CYCLES))

    s = Server(name="guarded", **lean())
    before = ids()
    for i in range(CYCLES):
        mark = s.log_mark()
        s.start()
        ok, what = leaktest_ok(s)
        assert ok, "cycle %d: %s" % (i, what)
        s.stop()
        left = ids() - before
        assert not left, "cycle %d: %d set(s) left after a clean stop: %s" % (
            i, len(left), sorted(left))
        sweep = s.log_lines("SG0231", since=mark)
        assert len(sweep) == 1, "cycle %d: SG0231 lines: %r" % (i, sweep)
        assert "mod_leaktest.c (outside httpd's Mutex table)" in sweep[0], sweep[0]
    assert ids() - base == stock_left, "a set of the stock instance was touched"
    s.assert_log_clean(allowed=(r"SG0204",))


@harness.timeout(300)
def test_graceful_growth():
    s = Server(**lean())
    s.start()
    # What httpd itself does not remove at a restart: the module's leaked sets
    # (and its process set); the run's own sets must all survive every restart.
    kept = {x["semid"] for x in status_json(s)["sets"]
            if x["module"] == "mod_leaktest.c" or x["parent_only"]}
    assert kept, "no leaked set recorded"
    failed = 0
    for gen in range(2, CYCLES + 2):
        mark = s.log_mark()
        s.graceful()
        for _ in range(3):
            ok, what = leaktest_ok(s)
            failed += 0 if ok else 1
        growth = s.log_lines("SG0230", since=mark)
        assert len(growth) == 1, "restart to generation %d: SG0230 lines %r" % (gen, growth)
        assert "mod_leaktest.c: 1 set(s)" in growth[0], growth[0]
    assert failed == 0, "%d failed /leaktest request(s): a set in use was removed" % failed
    assert kept <= ids(), "sets of the live run were removed: %s" % sorted(kept - ids())
    doc = status_json(s)
    growth = {g["module"]: g["sets"] for g in doc["restart_growth"]}
    assert growth.get("mod_leaktest.c") == 1, doc["restart_growth"]
    metrics = s.get("/semguard-status?metrics").body
    assert re.search(r'^semguard_restart_growth_sets\{module="mod_leaktest.c"\} 1$', metrics,
                     re.M), metrics
    before_stop = ids()
    s.stop()
    assert not ids(), "set(s) left after the clean stop: %s (had %d)" % (sorted(ids()),
                                                                        len(before_stop))


@harness.timeout(120)
def test_attribution_and_parent_only():
    # mod_semguard loaded first, mod_leaktest last: its REALLY_LAST hook after ours
    # in load order, which end_pass's order number overrides.
    s = Server(module_position="first", **lean())
    s.start()
    doc = status_json(s)
    by_module = [x for x in doc["sets"] if x["module"] == "mod_leaktest.c"]
    # REALLY_LAST: gen_last in the preflight and the first real pass, keep_parent once.
    assert len(by_module) == 3, json.dumps(doc["sets"], indent=1)
    parent_only = [x for x in doc["sets"] if x["parent_only"]]
    assert len(parent_only) == 1, json.dumps(doc["sets"], indent=1)
    assert parent_only[0]["present"] and parent_only[0]["mode"] == "0600", parent_only
    for x in doc["sets"]:
        assert x["present"], "shown as missing: %r" % x
        assert x["type"] in ("", "mpm-accept", "rewrite-map"), x
    html = s.get("/semguard-status").body
    assert "mod_leaktest.c, outside httpd&#39;s Mutex table" in html or \
        "mod_leaktest.c, outside httpd's Mutex table" in html, "module not named on the page"
    assert "parent-only" in html
    ok, what = leaktest_ok(s)
    assert ok, what
    s.graceful()
    assert not s.log_lines("SG0302"), s.log_lines("SG0302")
    assert not s.log_lines("SG0301"), s.log_lines("SG0301")
    s.stop()


@harness.timeout(600)
def test_crash_loop_with_graceful():
    set_sem_limits(250, 32000, 32, 16)
    stock = Server(name="stock", **lean(module=False))
    failed_at = None
    for i in range(CYCLES):
        try:
            stock.start()
        except Exception:      # the start that fails with AH00023
            failed_at = i + 1
            break
        stock.graceful()
        stock.kill9()
    assert failed_at is not None, "stock httpd survived %d crashes at SEMMNI 16" % CYCLES
    print("    stock httpd: start %d failed" % failed_at)
    stock_sets = ids()
    # Free the arrays stock leaked (its sets only: this namespace is ours).
    for semid in stock_sets:
        harness.remove_set(semid)

    s = Server(name="guarded", **lean())
    for i in range(CYCLES):
        s.start()
        s.graceful()
        s.graceful()
        ok, what = leaktest_ok(s)
        assert ok, "cycle %d: %s" % (i, what)
        s.kill9()
    s.start()
    s.assert_log_clean(allowed=harness.CRASH_NOISE + (r"SG0230", r"SG0204"))
    s.stop()


@harness.timeout(180)
def test_enable_by_reload():
    s = Server(module=False, **{k: v for k, v in lean().items() if k != "module"})
    s.start()
    made_before = ids()
    s.reconfigure(module=True)
    mark = s.log_mark()
    s.graceful()
    unvouched = s.log_lines("SG0232", since=mark)
    assert len(unvouched) == 1, unvouched
    assert "full restart" in unvouched[0], unvouched[0]
    doc = status_json(s)
    assert doc["startup"]["unvouched"], doc["startup"]
    assert set(doc["startup"]["unvouched"]) <= made_before, doc["startup"]
    recorded = {x["semid"] for x in doc["sets"]}
    assert recorded and not (recorded & made_before), "recorded sets it cannot vouch for"
    s.kill9()
    mark = s.log_mark()
    s.start()
    reclaimed = s.log_lines("SG0201", since=mark)
    assert reclaimed, "nothing reclaimed after the crash"
    for semid in recorded:
        assert harness.sem_set(semid) is None, "recorded set %d survived the reclaim" % semid
    ok, what = leaktest_ok(s)
    assert ok, what
    s.stop()


@harness.timeout(120)
def test_ssl_cache_removed_before_graceful():
    s = Server(semguard_status=True)   # the reference configuration, no unknown module
    s.start()
    doc = status_json(s)
    cache = [x["semid"] for x in doc["sets"] if x["type"] == "ssl-cache"]
    assert len(cache) == 1, doc["sets"]
    harness.remove_set(cache[0])   # a cleanup script's ipcrm
    mark = s.log_mark()
    s.graceful()
    removed = s.log_lines("SG0301", since=mark)
    assert len(removed) == 1 and "%d (ssl-cache)" % cache[0] in removed[0], removed
    assert "will stop serving" not in removed[0], removed[0]
    doc = status_json(s)
    assert [r["semid"] for r in doc["removed_outside"]] == cache, doc["removed_outside"]
    metrics = s.get("/semguard-status?metrics").body
    assert re.search(r"^semguard_removed_outside_sets 1$", metrics, re.M), metrics
    s.stop()


@harness.timeout(60)
@harness.timeout(120)
def test_census_in_sg0135_and_on_the_page():
    """Issue #12 item 7: at the end of each start and graceful restart, SG0135
    counts the run's sets by mutex type (with its mechanism) and those from
    outside httpd's Mutex table (mod_leaktest.c's); the page's per-type counts
    and sets_outside_table are the same figures. The old code said nothing of
    the outside sets in any log line of the start."""
    s = Server(module_position="first", **lean())
    s.start()
    for step in ("start", "graceful"):
        if step == "graceful":
            mark = s.log_mark()
            s.graceful()
            census = s.log_lines("SG0135", since=mark)
        else:
            census = s.log_lines("SG0135", since_start=True)
        assert len(census) == 1, (step, s.error_log())
        line = census[0]
        assert "[semguard:notice]" in line, line
        doc = status_json(s)
        for m in doc["mutexes"]:
            if m["sets_now"]:
                assert "%s: %d, %s" % (m["type"], m["sets_now"], m["mechanism"]) in line, (m, line)
        outside = doc["sets_outside_table"]
        assert outside >= 3, doc["sets"]
        assert "; %d outside it, SysV semaphores the modules create themselves (" % outside \
            in line, (outside, line)
        assert re.search(r"mod_leaktest\.c: \d+", line), line
        auto = s.get("/semguard-status?auto").body
        assert "SetsOutsideMutexTable: %d" % outside in auto, auto
        assert re.search(r"^MutexSets-mpm-accept: [1-9]", auto, re.M), auto
    s.stop()


def test_status_405_allow():
    s = Server(ssl=False, semguard_status=True)
    s.start()
    c = http.client.HTTPConnection("127.0.0.1", s.port, timeout=5)
    c.request("POST", "/semguard-status", body="x")
    r = c.getresponse()
    r.read()
    assert r.status == 405, r.status
    assert r.getheader("Allow") == "GET, HEAD", r.getheader("Allow")
    s.stop()


@harness.timeout(60)
def test_relative_pidfile_recorded_where_httpd_writes_it():
    # httpd resolves a relative PidFile against ServerRoot: run/httpd.pid is
    # the harness's own pid file. The record must name that file, not run/run/.
    s = Server(ssl=False, rewrite_map=False, extra="PidFile run/httpd.pid")
    s.start()
    states = [p for p in os.listdir(os.path.join(s.root, "run"))
              if re.fullmatch(r"semguard\.[0-9a-f]{16}\.state", p)]
    assert len(states) == 1, os.listdir(os.path.join(s.root, "run"))
    with open(os.path.join(s.root, "run", states[0])) as f:
        text = f.read()
    m = re.search(r"^instance\.pid_file (\S+)$", text, re.M)
    assert m, text
    assert m.group(1) == s.pid_file, "recorded %s, httpd writes %s" % (m.group(1), s.pid_file)
    assert os.path.exists(s.pid_file)
    s.stop()


if __name__ == "__main__":
    harness.run()
