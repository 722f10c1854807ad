"""The semguard-status page on the real httpd: figures against ipcs, the
machine-readable forms against their contracts, hostile queries, a browser."""
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.parse

import harness
from harness import Server, sem_sets, sem_values, wait_for

def status_server(**kw):
    return Server(semguard_status=True, **kw)


def auto(server):
    r = server.get("/semguard-status?auto")
    assert r.status == 200, r.status
    out = {}
    for line in r.body.splitlines():
        assert re.match(r"^[A-Za-z0-9_-]+: .*$", line), "not a Key: value line: %r" % line
        k, v = line.split(": ", 1)
        out[k] = v
    return out


def set_fields(value):
    """'type=mpm-accept present=yes ... value=1 waiting=2 lastpid=17' -> dict"""
    return dict(part.split("=", 1) for part in value.split() if "=" in part)


def test_per_set_figures_equal_ipcs_and_idle_children_wait_on_the_accept_mutex():
    s = status_server(start_servers=4)
    s.start()
    # Idle prefork children queue on the accept mutex: all but the one in accept().
    doc = None
    for _ in range(50):
        doc = json.loads(s.get("/semguard-status?json").body)
        accept = [x for x in doc["sets"] if x["type"] == "mpm-accept"]
        if accept and accept[0]["semaphores"][0]["waiting"] >= 2:
            break
        time.sleep(0.1)
    assert accept and accept[0]["semaphores"][0]["waiting"] >= 2, accept
    # The request for the page itself goes through the accept mutex (the
    # serving child takes and passes it on), so that one set moves by one
    # waiter around any reading; every other set must match ipcs exactly.
    before = {x["semid"]: sem_values(x["semid"]) for x in sem_sets()}
    doc = json.loads(s.get("/semguard-status?json").body)
    after = {x["semid"]: sem_values(x["semid"]) for x in sem_sets()}
    ours = {x["semid"]: x for x in doc["sets"]}
    assert set(ours) == set(after), (ours.keys(), after.keys())
    children = set(s.pids().children)
    for semid, rows in after.items():
        page = ours[semid]["semaphores"]
        assert len(page) == len(rows)
        for sem, row, old in zip(page, rows, before[semid]):
            if ours[semid]["type"] == "mpm-accept":
                assert sem["value"] == row["value"] == 0, (sem, row)  # a child sits in accept()
                lo = min(row["ncount"], old["ncount"]) - 1
                hi = max(row["ncount"], old["ncount"]) + 1
                assert lo <= sem["waiting"] <= hi, (sem, old, row)
                assert sem["last_pid"] in children and sem["last_pid_ours"], (sem, children)
            else:
                assert old == row, "set %d changed although nothing used it" % semid
                assert sem["value"] == row["value"], (semid, sem, row)
                assert sem["waiting"] == row["ncount"], (semid, sem, row)
                assert sem["last_pid"] == row["pid"], (semid, sem, row)
    types = sorted(x["type"] for x in doc["sets"])
    assert types == ["mpm-accept", "rewrite-map", "ssl-cache"], types
    s.assert_log_clean()


def test_auto_and_json_and_metrics_forms():
    s = status_server()
    s.start()
    a = auto(s)
    assert a["SysVInUse"] == "yes" and a["Headroom"] in ("ok", "warn", "critical")
    assert int(a["Sets"]) == 3 and int(a["SEMMNIUsed"]) == len(sem_sets())
    assert a["Mutex-mpm-accept"] == "sysvsem"
    doc = json.loads(s.get("/semguard-status?json").body)
    assert doc["schema"] == "mod_semguard.status/1"
    for key in ("server", "kernel", "mutexes", "sets", "startup", "sysv_in_use"):
        assert key in doc, key
    assert doc["server"]["parent_pid"] == s.pids().parent
    assert doc["kernel"]["usage"]["arrays"] == len(sem_sets())
    # Every field the README documents for a set is there.
    readme = open(os.path.join(harness.source_dir(), "README.md")).read()
    for field in doc["sets"][0]:
        assert "`%s`" % field in readme, "undocumented field %s" % field
    r = s.get("/semguard-status?metrics")
    assert r.status == 200 and "version=0.0.4" in r.headers.get("Content-Type", "")
    promtool = shutil.which("promtool")
    assert promtool, "promtool missing: scripts/setup.sh installs the prometheus package"
    check = subprocess.run([promtool, "check", "metrics"], input=r.body, capture_output=True,
                           text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert re.search(r'^semguard_set_waiters\{[^}]*type="mpm-accept"', r.body, re.M), r.body
    # mod_status's own page carries a section and SemGuard* lines.
    st = s.server_status()
    assert int(st["SemGuardSets"]) == 3
    html = s.get("/server-status").body
    assert "SysV semaphores (mod_semguard)" in html
    s.assert_log_clean()


def test_methods_refresh_and_hostile_queries():
    s = status_server()
    s.start()
    r = s.get("/semguard-status?refresh=7")
    assert r.status == 200 and 'http-equiv="refresh" content="7"' in r.body
    queries = ["?json&metrics", "?refresh=abc", "?" + "a" * 5000, "?%00%zz%", "?refresh=-1",
               "?refresh=99999999999999999999", "?<script>alert(1)</script>", "?auto&auto",
               "?;;;&&&==", "?json=1&refresh", "?%C0%AE%C0%AE", "?" + urllib.parse.quote("ä" * 50)]
    for q in queries:
        r = s.get("/semguard-status" + q)
        assert r.status in (200, 400), (q[:40], r.status)
        assert "<script>alert" not in r.body, q
    for method in ("POST", "PUT", "DELETE"):
        out = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", method,
                              "http://127.0.0.1:%d/semguard-status" % s.port],
                             capture_output=True, text=True, timeout=10)
        assert out.stdout == "405", (method, out.stdout)
    head = subprocess.run(["curl", "-s", "-I", "http://127.0.0.1:%d/semguard-status" % s.port],
                          capture_output=True, text=True, timeout=10)
    assert head.stdout.startswith("HTTP/1.1 200"), head.stdout
    assert s.pids().parent is not None, "the server died"
    s.assert_log_clean()


def test_names_with_markup_are_escaped():
    s = status_server()
    conf = s.config().replace("ServerName localhost", 'ServerName "x<script>alert(1)</script>"', 1)
    with open(s.conf_path, "w") as f:
        f.write(conf)
    s.start()
    body = s.get("/semguard-status").body
    assert "<script>alert(1)</script>" not in body
    assert "&lt;script&gt;" in body
    doc = json.loads(s.get("/semguard-status?json").body)
    assert doc["server"]["name"] == "x<script>alert(1)</script>"


def test_server_without_sysv_says_so():
    s = status_server(mutex=None)
    s.start()
    a = auto(s)
    assert a["SysVInUse"] == "no" and int(a["Sets"]) == 0, a
    assert a["Mutex-mpm-accept"] == "pthread", a
    body = s.get("/semguard-status").body
    assert "No SysV semaphore sets in use" in body, body[:2000]
    assert not sem_sets()


def test_page_renders_in_chromium_without_console_errors():
    chromium = shutil.which("chromium")
    assert chromium, "chromium missing: scripts/setup.sh installs it"
    s = status_server()
    s.start()
    out_dir = os.path.join(harness.build_dir(), "screenshots")
    os.makedirs(out_dir, exist_ok=True)
    shot = os.path.join(out_dir, "semguard-status.png")
    if os.path.exists(shot):
        os.remove(shot)
    profile = tempfile.mkdtemp(prefix="chromium-")
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
           "--no-first-run", "--disable-background-networking", "--disable-component-update",
           "--disable-sync", "--user-data-dir=" + profile, "--window-size=1280,1600",
           "--enable-logging=stderr", "--v=0", "--screenshot=" + shot,
           "http://127.0.0.1:%d/semguard-status" % s.port]
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    shutil.rmtree(profile, ignore_errors=True)
    assert os.path.exists(shot) and os.path.getsize(shot) > 10000, r.stderr[-2000:]
    console = [l for l in r.stderr.splitlines() if "CONSOLE" in l]
    assert not console, "\n".join(console)
    print("    screenshot: " + shot)


if __name__ == "__main__":
    harness.run()
