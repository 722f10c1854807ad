"""Benchmark 8: the status page among 30,000 other sets."""

import harness

from .common import OTHER_SETS, QUICK, bench_server, n_pairs, rotated, say, summary
from .measure import sequential_ms, wrk
from .results import add_result, guarded
from .sets import listed_by_role, listing_counter, make_other_sets


@harness.timeout(400)
@guarded("status page, 30,000 sets",
         [("listings in children per ?auto request", "<= 0.1")])
def bench_status_sets():
    """The owner breakdown needs every set of the host: with 30,000 other
    sets, how often the children list them per request (LD_PRELOAD counter,
    one counted run: start, wrk on ?auto, stop; the cache lists at most once
    a second per child), then (info) the mean ms of one ?auto, ?metrics and
    /server-status?auto asked one after the other once every child has its
    breakdown (what a request costs between two listings; a listing costs
    what benchmark 3 measures), and requests/s of ?auto against
    /server-status?auto in the same rounds (both pay the listings)."""
    secs = 1 if QUICK else 2
    rounds = n_pairs(8)
    if len(harness.sem_sets()) < OTHER_SETS:
        make_other_sets(OTHER_SETS - len(harness.sem_sets()))
    s = bench_server("status-sets", True, 4, keep_children=True)
    with listing_counter(s) as path:
        s.start()
        _, _, requests = wrk(s.port, "/semguard-status?auto", secs, timeout_s=30)
        s.stop()
    by_role = listed_by_role(path)
    listings, children = sum(by_role["child"]), len(by_role["child"])
    per_request = listings / float(max(requests, 1))
    say("?auto for %d s: %d requests, %d listings in %d children" % (secs, requests, listings,
                                                                    children))
    add_result("status page, 30,000 sets", "listings in children per ?auto request", "<= 0.1",
               [per_request], requests > 0 and per_request <= 0.1, unit="listings",
               extra={"requests": requests, "child_listings": listings, "children": children})
    s.start()
    wrk(s.port, "/semguard-status?auto", 1, timeout_s=30)     # every child lists once
    ms = {"auto": sequential_ms(s, "/semguard-status?auto", 20),
          "metrics": sequential_ms(s, "/semguard-status?metrics", 20),
          "server-status": sequential_ms(s, "/server-status?auto", 20)}
    for k in ("auto", "metrics", "server-status"):
        add_result("status page, 30,000 sets", "ms per %s request, one after the other"
                   % ("?" + k if k != "server-status" else "/server-status?auto"), "-",
                   [ms[k]], None, unit="ms")
    got = {"status": [], "auto": []}
    for i in range(rounds):
        for k in rotated(("status", "auto"), i):
            p = "/server-status?auto" if k == "status" else "/semguard-status?auto"
            got[k].append(wrk(s.port, p, secs, timeout_s=30)[0])
        say("round %d: server-status %.0f, ?auto %.0f req/s" % (i + 1, got["status"][-1],
                                                               got["auto"][-1]))
    s.stop()
    ratio = [x / y for x, y in zip(got["auto"], got["status"]) if y > 0] or [0.0]
    add_result("status page, 30,000 sets", "/semguard-status?auto / server-status?auto, 30,000 sets",
               "-", ratio, None, extra={"rps": {k: summary(v) for k, v in got.items()}})
