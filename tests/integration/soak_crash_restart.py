"""Shortened soak: the crash loop with graceful restarts, as CI runs it
(scripts/test.sh, step "soak"). Not a test_*.py file, so ctest's integration
pass does not run it a second time.

* soak_crash_loop_with_graceful_restarts: SEMMNI 16, five foreign sets (crash_loop_support)
  planted. N cycles of: start, two graceful restarts (SIGUSR1; the second
  generation's pconf mutexes are new sets, the ssl-cache set is carried),
  kill -9 of the whole server. Every start succeeds and reclaims exactly the
  sets the killed generation had (SG0201, with its parent pid); the sets in
  use never exceed one generation's plus the foreign ones; the foreign sets
  are untouched. N = SEMGUARD_SOAK_CYCLES, default 50 (200 with
  SEMGUARD_SOAK=1).
* soak_stock_httpd_runs_out: the same loop with stock httpd fails at a start
  within the first 6 cycles (AH00023): what the module prevents.

Run: python3 tests/integration/soak_crash_restart.py [test_name ...]
"""
import os
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets, set_sem_limits  # noqa: E402
from crash_loop_support import (assert_planted_intact, check_start, own_sets,  # noqa: E402
                                plant_foreign_sets)

SOAK = os.environ.get("SEMGUARD_SOAK", "") not in ("", "0")
CYCLES = int(os.environ.get("SEMGUARD_SOAK_CYCLES") or (200 if SOAK else 50))
PER_GENERATION = 3


@harness.timeout(3600 if SOAK else 900)
def soak_crash_loop_with_graceful_restarts():
    set_sem_limits(250, 32000, 32, 16)
    planted, _holders = plant_foreign_sets()
    s = Server()
    previous, previous_parent = None, None
    t0 = time.monotonic()
    for cycle in range(1, CYCLES + 1):
        r = s.start(expect_ok=None)
        check_start(cycle, r, previous, previous_parent, PER_GENERATION)
        for n in (1, 2):
            assert s.graceful(), "cycle %d: graceful restart %d failed:\n%s" % (
                cycle, n, s.error_log(since_start=True)[-3000:])
            mine = own_sets(planted)
            assert len(mine) == PER_GENERATION and len(sem_sets()) == PER_GENERATION + len(planted), \
                "cycle %d, after graceful %d: own sets %r, all %r" % (cycle, n, mine, sem_sets())
        previous, previous_parent = own_sets(planted), s.last_parent
        s.kill9()
        assert own_sets(planted) == previous, (cycle, own_sets(planted), previous)
        if cycle % 10 == 0:
            assert_planted_intact(planted, "cycle %d" % cycle)
    s.start()
    s.stop()
    assert own_sets(planted) == [], "sets left after the final clean stop: %r" % own_sets(planted)
    assert_planted_intact(planted, "at the end")
    s.assert_log_clean(allowed=harness.CRASH_NOISE)
    print("    %d cycles (start, 2 graceful restarts, kill -9) in %.1fs" % (CYCLES, time.monotonic() - t0))


def soak_stock_httpd_runs_out():
    set_sem_limits(250, 32000, 32, 16)
    plant_foreign_sets()
    s = Server(module=False)
    for cycle in range(1, 7):
        r = s.start(expect_ok=None)
        if not r.ok:
            assert "AH00023" in r.output + r.log, r.output + r.log
            print("    stock httpd: start %d failed with AH00023" % cycle)
            return
        s.graceful()
        s.kill9()
    raise AssertionError("stock httpd survived 6 crash cycles: the soak would prove nothing")


if __name__ == "__main__":
    harness.run([soak_stock_httpd_runs_out, soak_crash_loop_with_graceful_restarts])
