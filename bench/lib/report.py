"""The report: bench/results/latest.json (every value) and latest.md (the table)."""

import datetime
import json
import os
import platform
import statistics
import subprocess
import time

import harness

from .common import OTHER_SETS, QUICK, REPO, RESULTS_DIR, T_BEGIN, say
from .results import RESULTS


def _pair_median(pairs, key):
    """The median of one figure over a benchmark's pairs."""
    return statistics.median(x[key] for x in pairs)


def machine():
    def cmd(*c):
        try:
            return subprocess.run(c, capture_output=True, text=True, timeout=10).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return "?"
    cpu = "?"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    httpd = cmd(harness.APACHE2, "-v").splitlines()
    head = cmd("git", "-C", REPO, "rev-parse", "--short", "HEAD")
    dirty = cmd("git", "-C", REPO, "status", "--porcelain", "--untracked-files=no")
    return {"date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "nproc": os.cpu_count(), "cpu": cpu, "kernel": platform.release(),
            "httpd": httpd[0].split(":", 1)[1].strip() if httpd else "?",
            "apr": cmd("dpkg-query", "-W", "-f=${Version}", "libapr1"),
            "wrk": cmd("dpkg-query", "-W", "-f=${Version}", "wrk"),
            "module": os.environ.get("SEMGUARD_MODULE", ""),
            "commit": head + (" (with uncommitted changes)" if dirty else ""),
            "quick": QUICK}


def fmt(v, unit):
    if unit == "ratio":
        return "%.3f" % v
    if unit in ("listings", "req/s"):
        return "%.0f" % v
    return "%.1f %s" % (v, unit) if abs(v) < 100 else "%.0f %s" % (v, unit)


def write_report():
    m = machine()
    m["bench_seconds"] = round(time.time() - T_BEGIN, 1)
    os.makedirs(RESULTS_DIR, exist_ok=True)
    doc = {"schema": "mod_semguard.bench/1", "machine": m, "results": RESULTS}
    tmp = os.path.join(RESULTS_DIR, "latest.json.tmp")
    with open(tmp, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    os.replace(tmp, os.path.join(RESULTS_DIR, "latest.json"))

    L = ["# mod_semguard benchmarks", "",
         "| | |", "| --- | --- |",
         "| Date | %s |" % m["date"],
         "| Machine | %s CPU(s), %s, kernel %s |" % (m["nproc"], m["cpu"], m["kernel"]),
         "| httpd | %s |" % m["httpd"],
         "| APR (libapr1) | %s |" % m["apr"],
         "| Module | %s, commit %s |" % (os.path.relpath(m["module"], REPO) if m["module"] else "?",
                                        m["commit"]),
         "| Run time | %.0f s%s |" % (m["bench_seconds"],
                                       ", QUICK mode (not for results)" if QUICK else ""),
         "",
         "| Benchmark | What | Target | Pairs | Median | Min | Max | Verdict |",
         "| --- | --- | --- | ---: | ---: | ---: | ---: | --- |"]
    for r in RESULTS:
        if r["verdict"] == "ERROR":
            L.append("| %s | %s | %s | | | | | ERROR: %s |"
                     % (r["bench"], r["what"], r["target"],
                        r["error"].splitlines()[0].replace("|", "/")[:200]))
            continue
        u = r["unit"]
        L.append("| %s | %s | %s | %d | %s | %s | %s | %s |"
                 % (r["bench"], r["what"], r["target"], r["pairs"], fmt(r["median"], u),
                    fmt(r["min"], u), fmt(r["max"], u),
                    "(info)" if r["verdict"] == "info" else "**%s**" % r["verdict"]))
    L += ["", "Pairs run A B A B ... in one invocation; median/min/max are over the "
              "per-pair figures. Details and raw values: latest.json. What each "
              "benchmark measures: bench/README.md.", ""]
    notes = []
    for r in RESULTS:
        d = r.get("details") or {}
        if "listings" in d:
            lc = d["listings"]
            notes.append("- %s, listings of the kernel's table (LD_PRELOAD counter of "
                         "SEM_STAT/SEM_STAT_ANY, per process): preflight %d, parent %d, "
                         "children %d (over %d child processes)"
                         % (r["bench"], lc["preflight"], lc["parent"], lc["children"],
                            lc["child_processes"]))
        if r["bench"] == "startup" and "with_ms" in d:
            line = ("- startup, %s: with %.1f ms, without %.1f ms (medians)"
                    % (r["what"].replace("added ms, ", ""), statistics.median(d["with_ms"]),
                       statistics.median(d["without_ms"])))
            if "allowed_added_ms" in d:
                line += "; allowed added %.1f ms" % d["allowed_added_ms"]
            notes.append(line)
            t = d.get("one_start_traced")
            if t:
                notes.append("  - one such start with the module under strace (not timed): "
                             "%d SEM_STAT_ANY calls = %.1f full scans of the %d sets; "
                             "%d reads of /proc/sysvipc/sem; %d fsync calls (%.1f ms under strace)"
                             % (t["sem_stat_any_calls"], t["full_scans"], OTHER_SETS,
                                t.get("proc_reads", 0), t["fsync_calls"],
                                t["fsync_ms_under_strace"]))
        if r["bench"] == "scan" and "ms" in d:
            ms = d["ms"]
            floors = ""
            if "walk" in ms and "bare_proc" in ms:
                floors = (", the walk forced %.1f ms%s, bare /proc/sysvipc/sem read %.1f ms"
                          % (ms["walk"]["median"],
                             ", the file forced %.1f ms" % ms["file"]["median"]
                             if "file" in ms else "", ms["bare_proc"]["median"]))
            if d.get("ways"):
                floors += "; list_sets chose " + ", ".join(
                    "%s %d times" % (w, n) for w, n in sorted(d["ways"].items()))
            notes.append("- scan of 30,000 sets, medians: bare loop %.1f ms, list_sets %.1f ms%s "
                         "(in-process); ipcs -s %.1f ms, lsipc -s %.1f ms, bare_scan %.1f ms, "
                         "core_bench scan %.1f ms (whole process)"
                         % (ms["bare"]["median"], ms["list_sets"]["median"], floors,
                            ms["ipcs"]["median"], ms["lsipc"]["median"], ms["bare_wall"]["median"],
                            ms["list_sets_wall"]["median"]))
        if r["bench"] == "reclaim" and "reclaim_ms" in d:
            notes.append("- reclaim of 10,000 sets, medians: reclaim_previous_run %.1f ms "
                         "(%.2f us/set), bare IPC_RMID loop %.1f ms (%.2f us/set)"
                         % (d["reclaim_ms"]["median"], d["reclaim_us_per_set"]["median"],
                            d["bare_ms"]["median"], d["bare_us_per_set"]["median"]))
        if r["bench"] == "request path" and "pairs" in d and r["what"].startswith("throughput"):
            p = d["pairs"]
            notes.append("- request path, medians: with %.0f req/s p99 %.2f ms, without %.0f "
                         "req/s p99 %.2f ms, control (a second server without) %.0f req/s "
                         "p99 %.2f ms"
                         % (_pair_median(p, "with_rps"),
                            _pair_median(p, "with_p99_ms"),
                            _pair_median(p, "without_rps"),
                            _pair_median(p, "without_p99_ms"),
                            _pair_median(p, "control_rps"),
                            _pair_median(p, "control_p99_ms")))
            notes.append("  - pinned: %s" % d.get("pinned", "no"))
            rows = {x["what"]: x for x in RESULTS if x["bench"] == "request path" and "median" in x}
            p99, ctl = rows.get("p99 latency with/without"), rows.get("control: p99 without/without")
            if p99 and ctl:
                def iqr(v):
                    q = statistics.quantiles(v, n=4) if len(v) >= 2 else [v[0]] * 3
                    return q[0], q[2]
                notes.append("  - p99 with/without %.3f (quartiles %.3f-%.3f) against the control's "
                             "without/without %.3f (quartiles %.3f-%.3f, min %.3f, max %.3f): a "
                             "difference inside the control's spread is noise"
                             % ((p99["median"],) + iqr(p99["values"]) + (ctl["median"],)
                                + iqr(ctl["values"]) + (ctl["min"], ctl["max"])))
            sc = d.get("syscalls_per_request")
            if sc:
                notes.append("  - system calls per request in the children (strace, not timed): "
                             "with %s, without %s" % (sc["with"], sc["without"]))
            ir = d.get("instructions_per_request")
            if ir:
                notes.append("  - user-space instructions per request (callgrind, apache2 -X): "
                             "with %.0f, without %.0f" % (ir["with"], ir["without"]))
        if r["bench"] == "status page" and "rps" in d:
            rps = d["rps"]
            notes.append("- status pages, medians: server-status?auto %.0f req/s, "
                         "semguard-status?auto %.0f, ?metrics %.0f"
                         % (rps["status"]["median"], rps["auto"]["median"],
                            rps["metrics"]["median"]))
            sc = d.get("syscalls_per_request")
            if sc:
                notes.append("  - system calls per request in the children (strace, not timed): "
                             "server-status?auto %s, semguard-status?auto %s, ?metrics %s"
                             % (sc["status"], sc["auto"], sc["metrics"]))
            ir = d.get("instructions_per_request")
            if ir:
                notes.append("  - user-space instructions per request (callgrind, apache2 -X): "
                             "server-status?auto %.0f, semguard-status?auto %.0f, ?metrics %.0f"
                             % (ir["status"], ir["auto"], ir["metrics"]))
        if r["bench"] == "child churn" and "pairs" in d:
            p = d["pairs"]
            notes.append("- child churn, medians: with %.1f req/s, %.0f us CPU per request; "
                         "without %.1f req/s, %.0f us (prefork makes new children once a "
                         "second: that cycle bounds both sides' throughput)"
                         % (_pair_median(p, "with_rps"),
                            _pair_median(p, "with_cpu_us_per_req"),
                            _pair_median(p, "without_rps"),
                            _pair_median(p, "without_cpu_us_per_req")))
        if r["bench"] == "memory" and "pairs" in d:
            p = d["pairs"]
            notes.append("- private memory per idle child, medians: with %.0f KiB, without %.0f KiB"
                         % (_pair_median(p, "with_kib"),
                            _pair_median(p, "without_kib")))
    if notes:
        L += ["Measured details:", ""] + notes + [""]
    with open(os.path.join(RESULTS_DIR, "latest.md"), "w") as f:
        f.write("\n".join(L))
    say("wrote %s/latest.json and latest.md" % RESULTS_DIR)
