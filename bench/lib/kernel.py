"""Benchmarks 3 (scan) and 4 (reclaim): the module's kernel calls against
bare loops, through the compiled helpers."""

import os
import statistics
import time

import harness

from .common import (BIN, OTHER_SETS, RECLAIM_SETS, SEM_LIMITS, helper, n_pairs, rotated,
                     summary)
from .measure import wall_ms
from .results import add_result, guarded
from .sets import make_other_sets


@guarded("scan", [("list_sets / bare loop", "<= 1.1")])
def bench_scan():
    make_other_sets(OTHER_SETS)
    rounds = n_pairs(21, 5)
    rows = {k: [] for k in ("list_sets", "bare", "walk", "file", "bare_proc", "list_sets_wall",
                            "bare_wall", "ipcs", "lsipc")}
    ways = []
    helper("bare_scan")                    # warm-up
    helper("bare_proc_scan")
    helper("core_bench", "scan")
    helper("core_bench", "scan-walk")
    helper("core_bench", "scan-file")

    def bare():
        t0 = time.monotonic()
        ns, found = helper("bare_scan")
        rows["bare_wall"].append((time.monotonic() - t0) * 1000.0)
        rows["bare"].append(int(ns) / 1e6)
        return found

    def list_sets():
        t0 = time.monotonic()
        ns, got, way = helper("core_bench", "scan")
        rows["list_sets_wall"].append((time.monotonic() - t0) * 1000.0)
        rows["list_sets"].append(int(ns) / 1e6)
        ways.append(way)
        return got

    # the two ways list_sets chooses from (after a sample of each), each forced,
    # and the file's floor
    def forced(mode, row):
        def run():
            ns, n, _ = helper("core_bench", mode)
            rows[row].append(int(ns) / 1e6)
            return n
        return run

    def bare_proc():
        ns, read = helper("bare_proc_scan")
        rows["bare_proc"].append(int(ns) / 1e6)
        return read

    sides = [bare, list_sets, forced("scan-walk", "walk"), forced("scan-file", "file"), bare_proc]
    for i in range(rounds):
        # the order turns each round: no side always runs first or after another
        found = [side() for side in rotated(sides, i)]
        if any(int(n) != OTHER_SETS for n in found):
            raise RuntimeError("scans found %s sets, expected %d" % (found, OTHER_SETS))
        rows["ipcs"].append(wall_ms(["ipcs", "-s"]))
        rows["lsipc"].append(wall_ms(["lsipc", "-s"]))
    ratio = [x / y for x, y in zip(rows["list_sets"], rows["bare"])]
    extra = {"ms": {k: summary(v) for k, v in rows.items()},
             "ways": {w: ways.count(w) for w in sorted(set(ways))},
             "note": "list_sets (the cheaper way after a sample of each), walk (forced: the "
                     "SEM_STAT_ANY loop), file (forced: /proc/sysvipc/sem), bare "
                     "(bare_scan.c) and bare_proc (bare_proc_scan.c): timed inside the "
                     "process; *_wall, ipcs, lsipc: the whole process, exec included"}
    add_result("scan", "list_sets / bare loop", "<= 1.1", ratio,
               statistics.median(ratio) <= 1.1, extra=extra)
    add_result("scan", "list_sets / bare /proc read", "-",
               [x / y for x, y in zip(rows["list_sets"], rows["bare_proc"])], None)
    add_result("scan", "walk (forced) / bare loop", "-",
               [x / y for x, y in zip(rows["walk"], rows["bare"])], None)
    add_result("scan", "file (forced) / bare loop", "-",
               [x / y for x, y in zip(rows["file"], rows["bare"])], None)
    add_result("scan", "bare /proc read / bare loop", "-",
               [x / y for x, y in zip(rows["bare_proc"], rows["bare"])], None)
    add_result("scan", "ipcs -s / bare (process wall)", "-",
               [x / y for x, y in zip(rows["ipcs"], rows["bare_wall"])], None)
    add_result("scan", "lsipc -s / bare (process wall)", "-",
               [x / y for x, y in zip(rows["lsipc"], rows["bare_wall"])], None)
    add_result("scan", "list_sets / bare (process wall)", "-",
               [x / y for x, y in zip(rows["list_sets_wall"], rows["bare_wall"])], None)


@guarded("reclaim", [("reclaim_previous_run / bare IPC_RMID", "<= 10")])
def bench_reclaim():
    harness.set_sem_limits(*SEM_LIMITS)
    pairs = n_pairs(15)
    rec_ms, bare_ms = [], []
    for i in range(pairs + 1):
        ns, removed, _ = helper("core_bench", "reclaim", RECLAIM_SETS)
        ns2, removed2 = helper("bare_rmid", RECLAIM_SETS)
        if int(removed) != RECLAIM_SETS or int(removed2) != RECLAIM_SETS:
            raise RuntimeError("removed %s / %s of %d" % (removed, removed2, RECLAIM_SETS))
        left = len(harness.sem_sets())
        if left:
            raise RuntimeError("%d sets left after a pair" % left)
        if i == 0:
            continue                       # warm-up
        rec_ms.append(int(ns) / 1e6)
        bare_ms.append(int(ns2) / 1e6)
    ratio = [x / y for x, y in zip(rec_ms, bare_ms)]
    per_set = [x * 1000.0 / RECLAIM_SETS for x in rec_ms]
    bare_per_set = [x * 1000.0 / RECLAIM_SETS for x in bare_ms]
    extra = {"reclaim_ms": summary(rec_ms), "bare_ms": summary(bare_ms),
             "reclaim_us_per_set": summary(per_set), "bare_us_per_set": summary(bare_per_set)}
    add_result("reclaim", "reclaim_previous_run / bare IPC_RMID", "<= 10", ratio,
               statistics.median(ratio) <= 10.0, extra=extra)
    add_result("reclaim", "reclaim us per set", "-", per_set, None, unit="us")
