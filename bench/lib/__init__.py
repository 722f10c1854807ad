"""The benchmarks of bench/bench.py, by responsibility (bench/README.md, Files).

common        paths, environment, constants, the benchmarks' servers, small helpers
results       the reported rows (add_result, add_error, guarded)
sets          the namespace's sets: mksets, the tmpfs run dir, the LD_PRELOAD listing counter
measure       wrk, CPU time, strace, callgrind, timed starts
request_path  1. request path, 5. status page
startup       2. startup
kernel        3. scan, 4. reclaim
children      6. memory, 7. child churn
status_sets   8. the status page among 30,000 other sets
report        bench/results/latest.json and latest.md

Importing the package puts tests/integration on the path: the harness package
(servers, namespace, IPC) and listing_support live there.
"""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "tests", "integration"))
