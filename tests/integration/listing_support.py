"""Per-process counts of the kernel-table listings httpd makes, read from the
LD_PRELOAD counter ``semstat_count.so`` (tests/support/semstat_count.c).

Used by test_listings.py and bench/bench.py. The counter appends one line per
process at its exit; ``read_counts`` parses them and gives each a role:
"preflight" (the exec'd ``apache2 -k start``), "parent" (its detached fork),
"child" (the parent's forks), "stop" (an exec'd ``apache2 -k stop``),
"exec" (another program, e.g. the RewriteMap one)."""

import os

import harness

ROLES = ("preflight", "parent", "child", "stop")


def preload_path():
    """The built counter: $SEMGUARD_BENCH_BIN/semstat_count.so (bench) or
    <build dir>/preload/semstat_count.so (CMake)."""
    for d in (os.environ.get("SEMGUARD_BENCH_BIN"), os.path.join(harness.build_dir(), "preload")):
        if d and os.path.isfile(os.path.join(d, "semstat_count.so")):
            return os.path.join(d, "semstat_count.so")
    raise harness.HarnessError("semstat_count.so not built (cmake --build: target semstat_count)")


def counter_env(path):
    """Environment for apache2 (Server(env=...)) that counts into ``path``.
    The file is made writable for the children, which run as User."""
    open(path, "w").close()
    os.chmod(path, 0o666)
    return {"LD_PRELOAD": preload_path(), "SEMSTAT_COUNT_FILE": path}


def read_counts(path):
    """One dict per process: pid, ppid, role, gen, stat_calls, listings,
    info_calls, proc_reads, proc_lines (ints but role), cmd. listings counts
    the walks from index 0 and the opens of /proc/sysvipc/sem (proc_reads);
    proc_lines the lines read from that file, headers included (0 in lines
    of a counter older than that field)."""
    rows = []
    with open(path) as f:
        for line in f:
            head, _, cmd = line.rstrip("\n").partition(" cmd=")
            row = dict(kv.split("=", 1) for kv in head.split())
            for k in ("pid", "ppid", "gen", "stat_calls", "listings", "info_calls"):
                row[k] = int(row[k])
            for k in ("proc_reads", "proc_lines"):
                row[k] = int(row.get(k, 0))
            row["cmd"] = cmd
            if row["role"] == "preflight" and " -k stop" in " " + cmd:
                row["role"] = "stop"
            rows.append(row)
    return rows


def listings_by_role(rows):
    """{role: [listings of each process of that role]} for httpd's processes."""
    out = {r: [] for r in ROLES}
    for row in rows:
        if row["role"] in out:
            out[row["role"]].append(row["listings"])
    return out
