"""Paths, environment, constants and small helpers shared by the benchmarks."""

import os
import statistics
import subprocess
import time

from harness import Server
from harness.config import prefork_server_limit

HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))   # bench/
REPO = os.path.dirname(HERE)

BIN = os.environ.get("SEMGUARD_BENCH_BIN") or os.path.join(REPO, "build", "bench")
RESULTS_DIR = os.environ.get("SEMGUARD_BENCH_RESULTS") or os.path.join(HERE, "results")
QUICK = os.environ.get("SEMGUARD_BENCH_QUICK", "") not in ("", "0")

OTHER_SETS = 30000           # benchmarks 2 and 3
RECLAIM_SETS = 10000         # benchmark 4
SEM_LIMITS = (32000, 1024000000, 500, 32000)   # SEMMSL SEMMNS SEMOPM SEMMNI

T_BEGIN = time.time()


def n_pairs(full, quick=3):
    return quick if QUICK else full


def say(text):
    print("    " + text, flush=True)


def run_out(cmd, timeout=60):
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(cmd), r.returncode, r.stderr.strip()))
    return r.stdout


def helper(name, *args, timeout=120):
    """Run one of the compiled helpers; returns its stdout split in fields."""
    return run_out([os.path.join(BIN, name)] + [str(a) for a in args], timeout).split()


def rotated(items, i):
    """Round i of an alternation: the order turns by one each round, so that
    no side always runs first."""
    k = i % len(items)
    return list(items[k:]) + list(items[:k])


def summary(values):
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def bench_server(name, module, start_servers, keep_children=False):
    """The reference configuration of the tests (prefork, Mutex sysvsem
    default, two Listens, mod_ssl with shmcb, RewriteMap prg, mod_status),
    with or without the module and its status Location. ``keep_children``:
    MaxSpareServers = ServerLimit, so that no child is stopped for being
    idle (its CPU time would be lost to cpu_ticks)."""
    extra = "MaxSpareServers %d" % prefork_server_limit(start_servers) if keep_children else ""
    return Server(name=name, module=module, start_servers=start_servers, status=True,
                  semguard_status=module, extra=extra)
