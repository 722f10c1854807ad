"""The namespace's sets and processes: other sets made by mksets, a tmpfs run
dir in the private mount namespace, and the LD_PRELOAD listing counter."""

import contextlib
import os

import harness
import listing_support

from .common import SEM_LIMITS, helper, run_out
from .measure import wrk


def make_other_sets(n):
    harness.set_sem_limits(*SEM_LIMITS)
    before = len(harness.sem_sets())
    helper("mksets", n)
    have = len(harness.sem_sets())
    if have != before + n:
        raise RuntimeError("expected %d sets, the namespace has %d" % (before + n, have))


OUTER_MNT_ENV = "SEMGUARD_BENCH_OUTER_MNT_NS"


def mount_tmpfs(path):
    """A tmpfs on ``path``, in the namespace's own mount namespace (unshare
    --mount-proc made it, with private propagation): never seen by the host."""
    if str(os.stat("/proc/self/ns/mnt").st_ino) == os.environ.get(OUTER_MNT_ENV, ""):
        raise RuntimeError("refusing to mount: not in a private mount namespace")
    run_out(["mount", "-t", "tmpfs", "-o", "mode=0755,size=64m", "semguard-bench", path])


# the load of the counted run of benchmark 7 (child churn)
CHURN_WRK = dict(threads=1, connections=8, timeout_s=10)


@contextlib.contextmanager
def listing_counter(server):
    """Within: ``server`` starts with the LD_PRELOAD counter semstat_count.so
    (its environment is restored after). Yields the counter's file, for
    listed_by_role."""
    path = os.path.join(server.root, "logs", "listings.txt")
    saved = server.params["env"]
    server.reconfigure(env=listing_support.counter_env(path))
    try:
        yield path
    finally:
        server.reconfigure(env=saved)


def listed_by_role(path):
    """Listings of the kernel's table in the counter's file, by process role."""
    return listing_support.listings_by_role(listing_support.read_counts(path))


def counted_start_stop(server, load_secs=0):
    """One start and stop (SIGTERM, as -k stop) with the LD_PRELOAD counter
    semstat_count.so (not timed), with ``load_secs`` of wrk in between (so
    that children are born and exit): listings of the kernel's table per
    process role, deterministic. Returns {"preflight": n, "parent": n,
    "children": n, "child_processes": n, "total": n}."""
    with listing_counter(server) as path:
        server.start()
        if load_secs:
            wrk(server.port, "/index.html", load_secs, **CHURN_WRK)
        server.stop()
    by_role = listed_by_role(path)
    got = {"preflight": sum(by_role["preflight"]), "parent": sum(by_role["parent"]),
           "children": sum(by_role["child"]), "child_processes": len(by_role["child"])}
    got["total"] = got["preflight"] + got["parent"] + got["children"]
    return got
