"""Benchmarks 1 (request path) and 5 (status page): wrk, alternating sides."""

import shutil
import statistics

import harness

from .common import bench_server, n_pairs, rotated, say, summary, QUICK
from .measure import (SERVER_CPUS, WRK_CPU, instructions_per_request, measured_wrk, pinning,
                      start_pinned, syscalls_per_request, wrk)
from .results import add_result, guarded


@harness.timeout(480)
@guarded("request path", [("throughput with/without", ">= 0.99"),
                          ("p99 latency with/without", "<= 1.02")])
def bench_request_path():
    secs = 2
    pairs = n_pairs(36)
    a = bench_server("with", True, 20, keep_children=True)
    b = bench_server("without", False, 20, keep_children=True)
    c = bench_server("without-2", False, 20, keep_children=True)   # control: a second "without"
    pin = pinning()
    wrk_cpu = WRK_CPU if pin else None
    for s in (a, b, c):
        start_pinned(s) if pin else s.start()
    for s in (a, b, c):                    # warm-up, not counted
        wrk(s.port, "/index.html", 2, cpu=wrk_cpu)
    thr, lat, cpu, ctl_thr, ctl_lat, ctl_cpu, raw = [], [], [], [], [], [], []
    for i in range(pairs):
        got = {}
        for s in rotated((a, b, c), i):    # A B C, B C A, C A B, ...
            got[s.name] = measured_wrk(s, "/index.html", secs, cpu=wrk_cpu)
        (ra, la, ca), (rb, lb, cb), (rc, lc, cc) = (got[s.name] for s in (a, b, c))
        thr.append(ra / rb)
        lat.append(la / lb)
        cpu.append(ca / cb)
        ctl_thr.append(rc / rb)
        ctl_lat.append(lc / lb)
        ctl_cpu.append(cc / cb)
        raw.append({"with_rps": ra, "without_rps": rb, "control_rps": rc,
                    "with_p99_ms": la, "without_p99_ms": lb, "control_p99_ms": lc,
                    "with_cpu_us_per_req": ca, "without_cpu_us_per_req": cb,
                    "control_cpu_us_per_req": cc})
        say("pair %d: %.0f / %.0f (control %.0f) req/s, p99 %.2f / %.2f (%.2f) ms, "
            "CPU %.0f / %.0f (%.0f) us/req" % (i + 1, ra, rb, rc, la, lb, lc, ca, cb, cc))
    extra = {"wrk": "-t2 -c16 -d%ds --latency, GET /index.html (KeepAlive Off, as in "
                    "the reference config)" % secs, "pairs": raw,
             "pinned": ("servers on CPU %s, wrk on CPU %s (taskset)"
                        % (",".join(map(str, sorted(SERVER_CPUS))), WRK_CPU)) if pin else "no"}
    if shutil.which("strace"):
        extra["syscalls_per_request"] = {"with": syscalls_per_request(a, "/index.html"),
                                         "without": syscalls_per_request(b, "/index.html")}
        say("system calls per request: %s" % extra["syscalls_per_request"])
    for srv in (a, b, c):
        srv.stop()
    if shutil.which("valgrind"):
        ir = {"with": instructions_per_request(a, "/index.html", "static"),
              "without": instructions_per_request(b, "/index.html", "static")}
        extra["instructions_per_request"] = ir
        say("user-space instructions per request (callgrind): %s" % ir)
    add_result("request path", "throughput with/without", ">= 0.99", thr,
               statistics.median(thr) >= 0.99, extra=extra)
    add_result("request path", "p99 latency with/without", "<= 1.02", lat,
               statistics.median(lat) <= 1.02)
    add_result("request path", "httpd CPU per request with/without", "-", cpu, None)
    add_result("request path", "control: throughput without/without", "-", ctl_thr, None)
    add_result("request path", "control: p99 without/without", "-", ctl_lat, None)
    add_result("request path", "control: CPU per request without/without", "-", ctl_cpu, None)
    if "instructions_per_request" in extra:
        ir = extra["instructions_per_request"]
        add_result("request path", "user-space instructions per request with/without "
                   "(callgrind, deterministic)", "-", [ir["with"] / ir["without"]], None)


@harness.timeout(400)
@guarded("status page", [("/semguard-status?auto / server-status?auto", ">= 1.0"),
                         ("/semguard-status?json / server-status?auto", ">= 1.0"),
                         ("/semguard-status?metrics / server-status?auto", ">= 1.0")])
def bench_status():
    secs = 1 if QUICK else 2
    rounds = n_pairs(18)
    s = bench_server("status", True, 20, keep_children=True)
    s.start()
    paths = {"status": "/server-status?auto", "auto": "/semguard-status?auto",
             "json": "/semguard-status?json", "metrics": "/semguard-status?metrics"}
    for p in paths.values():               # warm-up, and every page answers 200
        wrk(s.port, p, 1)
    got = {k: [] for k in paths}
    cpu = {k: [] for k in paths}
    for i in range(rounds):
        for k in rotated(("status", "auto", "json", "metrics"), i):
            rps, _, us = measured_wrk(s, paths[k], secs)
            got[k].append(rps)
            cpu[k].append(us)
        say("round %d: server-status %.0f, ?auto %.0f, ?json %.0f, ?metrics %.0f req/s; "
            "CPU %.0f, %.0f, %.0f, %.0f us/req"
            % (i + 1, got["status"][-1], got["auto"][-1], got["json"][-1], got["metrics"][-1],
               cpu["status"][-1], cpu["auto"][-1], cpu["json"][-1], cpu["metrics"][-1]))
    extra = {"rps": {k: summary(v) for k, v in got.items()},
             "cpu_us_per_request": {k: summary(v) for k, v in cpu.items()},
             "wrk": "-t2 -c16 -d%ds, one server with the module and mod_status" % secs}
    if shutil.which("strace"):
        extra["syscalls_per_request"] = {k: syscalls_per_request(s, p) for k, p in paths.items()}
        say("system calls per request: %s" % extra["syscalls_per_request"])
    for k in ("auto", "json", "metrics"):
        ratio = [x / y for x, y in zip(got[k], got["status"])]
        add_result("status page", "/semguard-status?%s / server-status?auto" % k, ">= 1.0",
                   ratio, statistics.median(ratio) >= 1.0, extra=extra if k == "auto" else None)
    for k in ("auto", "json", "metrics"):
        add_result("status page", "httpd CPU per request, ?%s / server-status?auto" % k, "-",
                   [x / y for x, y in zip(cpu[k], cpu["status"])], None)
    s.stop()
    if shutil.which("valgrind"):
        ir = {k: instructions_per_request(s, p, k) for k, p in paths.items()}
        extra["instructions_per_request"] = ir
        say("user-space instructions per request (callgrind): %s" % ir)
        for k in ("auto", "json", "metrics"):
            add_result("status page", "user-space instructions per request, ?%s / "
                       "server-status?auto (callgrind)" % k, "-", [ir[k] / ir["status"]], None)
