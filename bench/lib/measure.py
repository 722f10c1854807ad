"""Measuring: wrk, the server's CPU time, system calls (strace), user-space
instructions (callgrind), timed starts and wall times."""

import os
import re
import shutil
import signal
import socket
import subprocess
import time

import harness

from .common import run_out


_UNIT = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


# Request path (benchmark 1): the servers run on CPU 0, wrk on CPU 1, so that
# the load generator does not compete with the server it measures.
SERVER_CPUS = {0}
WRK_CPU = "1"


def pinning():
    return os.cpu_count() >= 2 and shutil.which("taskset") is not None


def start_pinned(server):
    """server.start() with this process' affinity narrowed to SERVER_CPUS
    meanwhile: apache2 and all its children inherit it."""
    saved = os.sched_getaffinity(0)
    os.sched_setaffinity(0, SERVER_CPUS)
    try:
        server.start()
    finally:
        os.sched_setaffinity(0, saved)


def wrk(port, path, seconds, threads=2, connections=16, cpu=None, timeout_s=None):
    """wrk against 127.0.0.1 (on CPU ``cpu`` if given); returns (requests/s,
    p99 latency in ms, requests)."""
    prefix = ["taskset", "-c", cpu] if cpu is not None else []
    opts = ["--timeout", "%ds" % timeout_s] if timeout_s else []
    out = run_out(prefix + ["wrk", "-t%d" % threads, "-c%d" % connections, "-d%ds" % seconds] + opts + [
                   "--latency", "http://127.0.0.1:%d%s" % (port, path)],
                  timeout=seconds + 60)
    rps = re.search(r"^Requests/sec:\s+([\d.]+)", out, re.M)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)\s*$", out, re.M)
    if not rps or not p99:
        raise RuntimeError("cannot parse wrk output:\n" + out)
    bad = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    if bad:
        raise RuntimeError("wrk got %s non-2xx answers for %s:\n%s" % (bad.group(1), path, out))
    errs = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if errs and (int(errs.group(1)) or int(errs.group(3)) or int(errs.group(4))):
        raise RuntimeError("wrk socket errors for %s:\n%s" % (path, out))
    total = re.search(r"^\s+(\d+) requests in", out, re.M)
    return (float(rps.group(1)), float(p99.group(1)) * _UNIT[p99.group(2)],
            int(total.group(1)) if total else 0)


def cpu_ticks(server):
    """CPU time (clock ticks) used so far by the server: utime + stime of the
    parent and of its children (zombies included), plus the parent's cutime
    + cstime (children already reaped)."""
    parent = server.pids().parent
    total = 0
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % name) as f:
                fields = f.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        pid, ppid = int(name), int(fields[1])
        if pid == parent or ppid == parent:
            total += int(fields[11]) + int(fields[12])         # utime, stime
        if pid == parent:
            total += int(fields[13]) + int(fields[14])         # cutime, cstime
    return total


def measured_wrk(server, path, secs, cpu=None, **kw):
    """wrk plus the server's CPU time per request (microseconds)."""
    t0 = cpu_ticks(server)
    rps, p99, n = wrk(server.port, path, secs, cpu=cpu, **kw)
    used = (cpu_ticks(server) - t0) * 1e6 / os.sysconf("SC_CLK_TCK")
    return rps, p99, used / max(n, 1)


def syscalls_per_request(server, path, n=5):
    """Not timed: strace attached to every child of ``server`` while ``n``
    GETs of ``path`` are served one after the other; system calls per
    request (what the children do between two requests included)."""
    procs = {p.pid: p for p in harness.processes()}
    kids = [str(p) for p in server.pids().children
            if p in procs and procs[p].cmdline
            and os.path.basename(procs[p].cmdline[0]) == "apache2"]
    trace = os.path.join(server.root, "logs", "request.strace")
    cmd = ["strace", "-qq", "-f", "-e", "signal=none", "-o", trace]
    for k in kids:
        cmd += ["-p", k]
    st = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)                    # attached
        for _ in range(n):
            server.get(path)
        time.sleep(0.2)
    finally:
        st.send_signal(2)
        st.wait(30)
    with open(trace) as f:
        calls = sum(1 for line in f if "resumed>" not in line)
    return round(calls / float(n), 1)


def instructions_per_request(server, path, tag, n1=100, n2=600):
    """Not timed, deterministic: user-space instructions per request
    (callgrind's Ir) of ``apache2 -X`` (one process) serving ``path``: two
    runs serving n1 and n2 requests, the difference divided by n2 - n1, so
    that start and stop cancel out. Kernel work (TCP, system calls) is not
    counted."""
    out_dir = os.path.join(harness.build_dir(), "callgrind")
    os.makedirs(out_dir, exist_ok=True)
    os.chmod(out_dir, 0o1777)        # the child writes it after switching to User
    totals = []
    for n in (n1, n2):
        out = os.path.join(out_dir, "%s.%s.%d.out" % (server.name, tag, n))
        open(out, "w").close()
        os.chmod(out, 0o666)
        p = subprocess.Popen(["valgrind", "--tool=callgrind", "--callgrind-out-file=" + out]
                             + server._cmd("-X"),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                             cwd=server.root)
        try:
            harness.wait_for(lambda: _first_answer(server.port), timeout=120, interval=0.2,
                             what="apache2 -X under valgrind")
            for _ in range(n):
                if server.get(path, timeout=30).status != 200:
                    raise RuntimeError("%s did not answer 200 under valgrind" % path)
        finally:
            p.send_signal(signal.SIGTERM)
            p.wait(120)
        with open(out) as f:
            m = re.search(r"^(?:totals|summary):\s+(\d+)", f.read(), re.M)
        if not m:
            raise RuntimeError("no totals in " + out)
        totals.append(int(m.group(1)))
    return (totals[1] - totals[0]) / float(n2 - n1)


def _first_answer(port):
    """True once GET / on 127.0.0.1:port answers 200."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1.0) as c:
            c.settimeout(10.0)
            c.sendall(b"GET / HTTP/1.0\r\nHost: localhost\r\n\r\n")
            head = c.recv(64)
            return head.startswith(b"HTTP/1.") and head[9:12] == b"200"
    except OSError:
        return False


def timed_start(server, prefix=()):
    """Milliseconds from spawning ``apache2 -k start`` to the first 200
    answer (polled every millisecond)."""
    cmd = list(prefix) + server._cmd("-k", "start")
    env = server._env()
    out = open(os.path.join(server.root, "logs", "bench-start.out"), "a")
    t0 = time.monotonic()
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                         env=env, cwd=server.root)
    try:
        deadline = t0 + 30
        while not _first_answer(server.port):
            if time.monotonic() > deadline:
                raise RuntimeError("no answer within 30s from %s\n%s"
                                   % (server.root, server.error_log()[-3000:]))
            rc = p.poll()
            if rc not in (None, 0):
                raise RuntimeError("apache2 -k start exited %d\n%s"
                                   % (rc, server.error_log()[-3000:]))
            time.sleep(0.001)
        t1 = time.monotonic()
        if not prefix:
            p.wait(30)
    finally:
        out.close()
    return (t1 - t0) * 1000.0, p


def wall_ms(cmd):
    t0 = time.monotonic()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True,
                   timeout=60)
    return (time.monotonic() - t0) * 1000.0


def sequential_ms(server, path, n):
    """Mean milliseconds of ``n`` GETs of ``path`` one after the other (one
    connection each, as a scraper makes them)."""
    t0 = time.monotonic()
    for _ in range(n):
        r = server.get(path)
        if r.status != 200:
            raise RuntimeError("%s answered %d" % (path, r.status))
    return (time.monotonic() - t0) * 1000.0 / n
