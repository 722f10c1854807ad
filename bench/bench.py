#!/usr/bin/env python3
"""mod_semguard benchmarks (see bench/README.md); normally run by bench/run.sh.

    python3 bench/bench.py [bench_name ...]

Runs inside a private IPC+PID namespace through the integration tests' harness
(tests/integration/harness: harness.run re-executes this script under unshare
and refuses to touch any semaphore outside it), and its servers are the
harness' Servers: the reference configuration exists there only. Every comparison runs both sides alternately in this
one invocation (A B A B ...) and reports the median of the per-pair ratios
with min and max. Writes bench/results/latest.json and latest.md.

Environment (run.sh sets them): SEMGUARD_MODULE (the module under test),
SEMGUARD_BUILD_DIR (server roots), SEMGUARD_BENCH_BIN (the compiled helpers:
mksets, bare_scan, bare_rmid, core_bench), SEMGUARD_BENCH_QUICK=1 (fewer
pairs and shorter runs, for trying the bench itself: not for results).

This file is the entry point only; the benchmarks, their measuring helpers
and the report are in bench/lib/ (one module per responsibility, listed in
bench/lib/__init__.py).
"""

import os
import sys

from lib import children, kernel, report, request_path, startup, status_sets
from lib.sets import OUTER_MNT_ENV
import harness  # noqa: E402  (importing lib put tests/integration on the path)

ALL = [kernel.bench_scan, kernel.bench_reclaim, startup.bench_startup, children.bench_churn,
       children.bench_memory, request_path.bench_status, status_sets.bench_status_sets,
       request_path.bench_request_path, report.write_report]

if __name__ == "__main__":
    if os.path.basename(sys.argv[0]) != "bench.py":
        sys.exit("run as bench/bench.py")
    os.environ.setdefault(OUTER_MNT_ENV, str(os.stat("/proc/self/ns/mnt").st_ino))
    wanted = [a for a in sys.argv[1:] if not a.startswith("-")]
    if wanted and "write_report" not in wanted:
        sys.argv.append("write_report")
    harness.run(ALL)
