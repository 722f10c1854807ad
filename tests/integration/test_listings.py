"""How often httpd with the module lists the kernel's semaphore table, per
process, for one ``apache2 -k start`` followed by ``apache2 -k stop``.

A listing is a read of /proc/sysvipc/sem, or (where that file cannot be
trusted) a walk of semctl(SEM_STAT_ANY) over every index of the table: either
is O(sets on the host). It is counted, not timed, by the LD_PRELOAD counter
tests/support/semstat_count.c (listing_support.py reads it), in a private IPC
namespace holding FOREIGN_SETS other sets.

MAX_LISTINGS is the current bound per process role (measured: 1 in the
preflight process, 1 in the parent, since issue #15: 6 and 5 before). The
marks between hooks take a creation cursor (a probe set made and removed at
once) and walk only the indices between it and the previous one; the counter
counts those calls in stat_calls and starts no listing for them (a listing
starts at index 0). Children never list: a child is
forked per connection under MaxConnectionsPerChild, so anything O(sets) there
would be paid per connection.
The one exception is the status page (and /server-status's section): its
owner breakdown lists the host's sets, cached per child for up to a second
(test_status_page_lists_at_most_once_a_second_per_child).

Run: python3 tests/integration/test_listings.py [test_name ...]
"""

import os
import subprocess
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server  # noqa: E402
import listing_support as ls  # noqa: E402

FOREIGN_SETS = 2000

# The bound, per process, for one start plus one stop. Lower it as listings
# are removed; children stay at 0 and the stop command lists nothing.
# Measured 2 + 2 before the reclaim proof's notes (issue #10: one listing after
# the MPM's hook in every pass) and the hook-span snapshots (issue #11: three
# per pass) were added: 6 + 5. Issue #15: the marks and the passes' ends list
# nothing (the windows between creation cursors); each process lists once, at
# the start of its first pass: the baseline of its ownership proof (a set it
# last touched is its own only if that listing lacks it: pid reuse), and for
# the preflight also the reclaim's listing.
MAX_LISTINGS = {"preflight": 1, "parent": 1, "child": 0, "stop": 0}


def plant_foreign_sets(n):
    for _ in range(n):
        harness.create_set(nsems=1)
    have = len(harness.sem_sets())
    if have < n:
        harness.fail("planted %d sets, the namespace has %d" % (n, have))


def start_and_stop(server):
    """apache2 -k start, then apache2 -k stop (the control command, as an
    admin types it, with the same environment); wait until all are gone."""
    server.start()
    parent = server.pids().parent
    procs = {p.pid: p for p in harness.processes()}
    kids = {k for k in server.pids().children   # httpd's children, not the RewriteMap program
            if k in procs and procs[k].cmdline
            and os.path.basename(procs[k].cmdline[0]) == "apache2"}
    # Idle (sleeping in accept or the accept mutex) before the stop: prefork's
    # SIGTERM handler exits at once, and a child interrupted inside malloc in
    # its start-up can abort in httpd's own cleanup and write no counter line.
    harness.wait_for(lambda: all(harness._proc_state(k) in ("S", None) for k in kids),
                     timeout=10, interval=0.02, what="the children to wait for connections")
    r = subprocess.run(server._cmd("-k", "stop"), stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, env=server._env(), cwd=server.root,
                       timeout=30)
    if r.returncode != 0:
        harness.fail("apache2 -k stop exited %d: %s" % (r.returncode, r.stdout + r.stderr))
    harness.wait_for(lambda: not any(harness.pid_alive(p) for p in kids | {parent}),
                     timeout=20, what="the server to exit after -k stop")
    return parent, kids


def counts_of(server, path):
    parent, kids = start_and_stop(server)
    rows = ls.read_counts(path)
    by_role = ls.listings_by_role(rows)
    print("    per process: " + "; ".join(
        "%s pid %d: %d listings (%d SEM_STAT calls, %d reads of /proc/sysvipc/sem, %d lines)"
        % (r["role"], r["pid"], r["listings"], r["stat_calls"], r["proc_reads"], r["proc_lines"])
        for r in rows))
    # the counter saw every process this start made: the parent by its pid,
    # every child that served (StartServers) and exited
    parents = [r for r in rows if r["role"] == "parent"]
    if [r["pid"] for r in parents] != [parent]:
        harness.fail("counter lines for the parent: %r, expected pid %d" % (parents, parent))
    seen_kids = {r["pid"] for r in rows if r["role"] == "child"}
    if not kids <= seen_kids:
        harness.fail("children %s have no counter line (have %s)" % (sorted(kids), sorted(seen_kids)))
    for role in ("preflight", "stop"):
        if len(by_role[role]) != 1:
            harness.fail("expected one %s process, counter has %r" % (role, by_role[role]))
    return rows, by_role


@harness.timeout(180)
def test_listings_per_process_for_start_and_stop():
    plant_foreign_sets(FOREIGN_SETS)
    path = os.path.join(harness.itest_dir(), "listings-%d.txt" % os.getpid())
    s = Server(start_servers=3, env=ls.counter_env(path))
    rows, by_role = counts_of(s, path)
    for row in rows:
        if row["listings"]:
            # a listing sees the whole table, by a walk (one SEM_STAT_ANY per
            # index) or a read of /proc/sysvipc/sem (one line per set): every
            # foreign set is seen
            per = (row["stat_calls"] + row["proc_lines"]) / float(row["listings"])
            if per < FOREIGN_SETS:
                harness.fail("%s pid %d: %d SEM_STAT calls and %d lines of /proc/sysvipc/sem "
                             "for %d listings: not full listings"
                             % (row["role"], row["pid"], row["stat_calls"], row["proc_lines"],
                                row["listings"]))
    # the module lists through /proc/sysvipc/sem here (procfs, in this namespace)
    if not any(r["proc_reads"] for r in rows):
        harness.fail("no process read /proc/sysvipc/sem: the listings walked the table %r" % rows)
    if sum(sum(v) for v in by_role.values()) == 0:
        harness.fail("no listing counted at all: is the counter preloaded? %r" % rows)
    over = {role: v for role, v in by_role.items() if any(n > MAX_LISTINGS[role] for n in v)}
    if over:
        harness.fail("listings per process above the bound %r: %r (all: %r)"
                     % (MAX_LISTINGS, over, by_role))


@harness.timeout(120)
def test_stock_httpd_lists_nothing():
    """The control: the same start and stop without the module count 0, so
    every listing counted above is the module's."""
    plant_foreign_sets(100)
    path = os.path.join(harness.itest_dir(), "listings-stock-%d.txt" % os.getpid())
    s = Server(module=False, start_servers=3, env=ls.counter_env(path))
    rows, by_role = counts_of(s, path)
    if any(r["listings"] or r["stat_calls"] for r in rows):
        harness.fail("stock httpd listed the table: %r" % rows)


@harness.timeout(180)
def test_status_page_lists_at_most_once_a_second_per_child():
    """Issue #12: the page's owner breakdown needs a listing of the host's
    sets. It is cached per process: 60 requests in every format list at most
    once per child per second they span (the old code listed once per
    request, 60 times), and the owners are still on every answer."""
    import time
    plant_foreign_sets(200)
    path = os.path.join(harness.itest_dir(), "listings-page-%d.txt" % os.getpid())
    s = Server(start_servers=2, semguard_status=True, env=ls.counter_env(path))
    s.start()
    t0 = time.monotonic()
    for i in range(60):
        q = ("?auto", "?json", "?metrics", "")[i % 4]
        r = s.get("/semguard-status" + q)
        if r.status != 200 or "wner" not in r.body:
            harness.fail("no owner breakdown in /semguard-status%s: %d %s" % (q, r.status,
                                                                              r.body[:300]))
    elapsed = time.monotonic() - t0
    s.stop()
    rows = ls.read_counts(path)
    children = [r for r in rows if r["role"] == "child"]
    listed = sum(r["listings"] for r in children)
    bound = len(children) * (int(elapsed) + 2)
    print("    60 requests in %.2f s: %d listings in %d children (bound %d)"
          % (elapsed, listed, len(children), bound))
    if listed == 0:
        harness.fail("no listing in any child: is the counter preloaded? %r" % rows)
    if listed > bound or listed >= 60:
        harness.fail("the page listed the host's sets %d times for 60 requests in %.2f s over "
                     "%d children (bound %d): %r" % (listed, elapsed, len(children), bound, rows))


if __name__ == "__main__":
    harness.run()
