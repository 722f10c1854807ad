"""Benchmarks 6 (memory per child) and 7 (child churn)."""

import os
import statistics
import time

import harness
from harness import Server

from .common import OTHER_SETS, QUICK, bench_server, n_pairs, rotated, say
from .measure import measured_wrk, wrk
from .results import add_result, guarded
from .sets import CHURN_WRK, counted_start_stop, make_other_sets


def private_kib(pid):
    total = 0
    with open("/proc/%d/smaps_rollup" % pid) as f:
        for line in f:
            if line.startswith(("Private_Clean:", "Private_Dirty:")):
                total += int(line.split()[1])
    return total


def idle_children_kib(server):
    """Mean Private_Clean+Private_Dirty of the httpd children (not the
    parent, not the RewriteMap program), after some requests."""
    wrk(server.port, "/index.html", 1, threads=2, connections=8)
    time.sleep(1.5)
    parent = server.pids().parent
    kids = [p.pid for p in harness.processes()
            if p.ppid == parent and p.state != "Z" and p.cmdline
            and os.path.basename(p.cmdline[0]) == "apache2"]
    if not kids:
        raise RuntimeError("no children of %s" % server.root)
    return statistics.mean(private_kib(k) for k in kids), len(kids)


@guarded("memory", [("private KiB per child, with - without", "<= 64")])
def bench_memory():
    pairs = n_pairs(6)
    a = bench_server("with", True, 8)
    b = bench_server("without", False, 8)
    diff, raw = [], []
    for i in range(pairs):
        a.start()
        ka, na = idle_children_kib(a)
        a.stop()
        b.start()
        kb, nb = idle_children_kib(b)
        b.stop()
        diff.append(ka - kb)
        raw.append({"with_kib": round(ka, 1), "with_children": na,
                    "without_kib": round(kb, 1), "without_children": nb})
        say("pair %d: %.1f KiB (%d children) / %.1f KiB (%d children)" % (i + 1, ka, na, kb, nb))
    add_result("memory", "private KiB per child, with - without", "<= 64", diff,
               statistics.median(diff) <= 64.0, unit="KiB", extra={"pairs": raw})


# Every connection a new child. prefork makes new children in its once-a-second
# maintenance (at most 32 a second, doubling), so many spare servers keep the
# births going; the throughput is then bounded by that cycle on both sides.
CHURN_CONF = "MaxConnectionsPerChild 1\nMinSpareServers 32\nMaxSpareServers 40"


@harness.timeout(400)
@guarded("child churn", [("throughput with/without, MaxConnectionsPerChild 1", ">= 0.99")])
def bench_churn():
    """Every connection gets a new child (MaxConnectionsPerChild 1) among
    30,000 other sets: what the module does per child (child_init, the child
    guard at birth and exit) is paid per connection. wrk -t1 -c8, with vs
    without alternately: requests/s and the server's CPU time per request
    (the children's included: each served one request). Plus the LD_PRELOAD
    counter's listings in the children of one counted run (must be 0:
    nothing in a child is O(sets on the host))."""
    secs = 2 if QUICK else 4
    pairs = n_pairs(8)
    if len(harness.sem_sets()) < OTHER_SETS:
        make_other_sets(OTHER_SETS - len(harness.sem_sets()))
    a = Server(name="churn-with", module=True, start_servers=40, status=True,
               semguard_status=True, extra=CHURN_CONF)
    b = Server(name="churn-without", module=False, start_servers=40, status=True,
               extra=CHURN_CONF)
    lc = counted_start_stop(a, load_secs=secs)
    say("listings, start + churn + stop: %s" % lc)
    for s in (a, b):
        s.start()
    for s in (a, b):
        wrk(s.port, "/index.html", 2, **CHURN_WRK)       # warm-up
    ratio, cpu, raw = [], [], []
    for i in range(pairs):
        got = {}
        for s in rotated((a, b), i):
            got[s.name] = measured_wrk(s, "/index.html", secs, **CHURN_WRK)
        (ra, _, ca), (rb, _, cb) = got[a.name], got[b.name]
        if not (ra and rb and ca and cb):
            raise RuntimeError("no request served in a round: %r" % got)
        ratio.append(ra / rb)
        cpu.append(ca / cb)
        raw.append({"with_rps": ra, "without_rps": rb, "with_cpu_us_per_req": ca,
                    "without_cpu_us_per_req": cb})
        say("pair %d: %.1f / %.1f req/s, CPU %.0f / %.0f us/req" % (i + 1, ra, rb, ca, cb))
    for s in (a, b):
        s.stop()
    add_result("child churn", "throughput with/without, MaxConnectionsPerChild 1", ">= 0.99",
               ratio, statistics.median(ratio) >= 0.99,
               extra={"pairs": raw, "listings": lc,
                      "wrk": "-t1 -c8 -d%ds, GET /index.html, 30,000 other sets" % secs})
    add_result("child churn", "httpd CPU per request (= per child) with/without", "-", cpu, None)
    add_result("child churn", "listings in children (LD_PRELOAD counter)", "0",
               [lc["children"]], lc["children"] == 0, unit="listings")
