"""Hard restart storms (SIGHUP) under wrk load, stock httpd and with the
module, counting prefork children that die of SIGABRT. Not a test_*.py file:
ctest does not run it; it documents a crash of httpd itself and measures it.

What it shows (Debian apache2 2.4.71, glibc 2.36, prefork): at a hard restart
the parent sends SIGHUP to its process group. A child it forked a moment
before may still be in ap_run_drop_privileges() -> initgroups() -> fopen() ->
malloc(). prefork's SIGHUP handler in the child (just_die) calls
clean_child_exit() inside the signal handler: apr_pool_destroy(pchild) and
exit(), whose atexit handlers (OpenSSL's OPENSSL_cleanup) call free(). A
free() nested in an interrupted malloc() finds the heap half-updated: glibc
prints "free(): corrupted unsorted chunks" (or "corrupted double-linked
list") and aborts. The parent reaps the child while it reclaims the old
generation, so AH00052 "exit signal Abort (6)" comes just before its AH00173.
Nothing of mod_semguard is on that stack (the child has not reached
child_init), and stock httpd without the module crashes the same way. With
the module it happens more often (measured below): its children inherit a
parent heap that the module's C++ allocations left with more free chunks, so
a child's first large malloc() likely runs longer and is more often the one
interrupted midway.

Every abort's backtrace is written to the error log by tests/tools/abort_backtrace.c
(compiled here with cc, preloaded into apache2); the script fails if one of
them has a frame in mod_semguard.so, and prints the counts either way.

* soak_hard_restart_abort: ROUNDS (SEMGUARD_SOAK_ROUNDS, default 60; 300 with
  SEMGUARD_SOAK=1) hard restarts back to back for each server (stock httpd,
  then the module), wrk -t2 -c8 on GET / meanwhile.

Run: python3 tests/integration/soak_hard_restart_abort.py
"""
import os
import re
import shutil
import signal
import subprocess
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server  # noqa: E402

SOAK = os.environ.get("SEMGUARD_SOAK", "") not in ("", "0")
ROUNDS = int(os.environ.get("SEMGUARD_SOAK_ROUNDS") or (300 if SOAK else 60))
_ABORT = re.compile(r"AH00052: child pid (\d+) exit signal Abort")
_BT = re.compile(r"^=== BT pid (\d+) sig \d+\n(.*?)^=== END$", re.M | re.S)


def backtrace_shim():
    """Build tests/tools/abort_backtrace.c into the build dir; its path."""
    here = os.path.dirname(os.path.abspath(__file__))
    src = os.path.join(here, "..", "tools", "abort_backtrace.c")
    out = os.path.join(harness.build_dir(), "abort_backtrace.so")
    cc = shutil.which("cc") or shutil.which("gcc")
    if not cc:
        harness.skip("no C compiler for tests/tools/abort_backtrace.c")
    if not os.path.exists(out) or os.path.getmtime(out) < os.path.getmtime(src):
        subprocess.run([cc, "-shared", "-fPIC", "-O1", "-o", out, src, "-ldl"], check=True)
    return out


def storm(module, rounds):
    s = Server(name="semguard" if module else "stock", module=module)
    s.start()
    wrk = subprocess.Popen([shutil.which("wrk") or harness.fail("wrk is not installed"),
                            "-t2", "-c8", "-d3600s", "--timeout", "2s",
                            "http://127.0.0.1:%d/" % s.port],
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
    try:
        for n in range(1, rounds + 1):
            s.restart()
    finally:
        wrk.send_signal(signal.SIGINT)
        wrk.wait(30)
    s.stop()
    log = s.error_log()
    aborts = _ABORT.findall(log)
    traces = {pid: text for pid, text in _BT.findall(log)}
    ours = {pid: t for pid, t in traces.items() if "mod_semguard" in t}
    print("    %s: %d hard restarts, %d child(ren) aborted, %d backtrace(s), %d with a "
          "mod_semguard frame" % (s.name, rounds, len(aborts), len(traces), len(ours)))
    for pid, text in sorted(traces.items())[:1]:
        print("    first backtrace (pid %s):\n%s" % (pid, harness_indent(text)))
    return aborts, traces, ours


def harness_indent(text):
    return "\n".join("      " + l for l in text.splitlines())


@harness.timeout(3600)
def soak_hard_restart_abort():
    shim = backtrace_shim()
    pre = os.environ.get("SEMGUARD_HTTPD_PRELOAD", "")
    os.environ["SEMGUARD_HTTPD_PRELOAD"] = (pre + " " + shim).strip()
    _, _, _ = storm(False, ROUNDS)
    _, _, ours = storm(True, ROUNDS)
    assert not ours, "a child aborted with mod_semguard on its stack:\n%s" % "\n".join(
        ours.values())


if __name__ == "__main__":
    harness.run([soak_hard_restart_abort])
