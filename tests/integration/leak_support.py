"""Helpers for tests with mod_leaktest (tests/modules/mod_leaktest.c), a test
module that leaks SysV semaphore sets the way third-party modules do
(ModSecurity 2.x, mod_bmx): built here with apxs, once per build directory."""

import fcntl
import os
import shutil
import subprocess

import harness

LEAKTEST_SOURCE = os.path.join(harness.source_dir(), "tests", "modules", "mod_leaktest.c")


def leaktest_module():
    """Path of mod_leaktest.so, (re)built with apxs when the source is newer.
    Several test files use it and ctest runs two at once: the build holds a
    lock, so no test loads a .so another is still writing."""
    out_dir = os.path.join(harness.build_dir(), "leaktest")
    so = os.path.join(out_dir, ".libs", "mod_leaktest.so")
    os.makedirs(out_dir, exist_ok=True)
    with open(os.path.join(out_dir, ".build.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.exists(so) and os.path.getmtime(so) >= os.path.getmtime(LEAKTEST_SOURCE):
            return so
        shutil.copy(LEAKTEST_SOURCE, os.path.join(out_dir, "mod_leaktest.c"))
        apxs = shutil.which("apxs") or shutil.which("apxs2")
        if not apxs:
            harness.fail("apxs not found (apache2-dev): cannot build mod_leaktest")
        r = subprocess.run([apxs, "-c", "mod_leaktest.c"], cwd=out_dir, capture_output=True,
                           text=True)
        if r.returncode != 0 or not os.path.exists(so):
            harness.fail("apxs -c mod_leaktest.c failed:\n%s%s" % (r.stdout, r.stderr))
        os.chmod(out_dir, 0o755)
        return so


# Like ModSecurity (REALLY_LAST, a set per generation, handed to User), like a
# module keeping a set for the parent alone (process pool, root's, 0600), and
# like mod_bmx (MIDDLE, a set per generation).
DEFAULT_SETS = (("gen_last", "generation", "really_last", "children"),
                ("keep_parent", "process", "really_last", "parent"),
                ("gen_middle", "generation", "middle", "children"))


def leaktest_config(sets=DEFAULT_SETS):
    """Config lines (for Server(extra=...)): LoadModule after mod_semguard,
    the LeakTestSet lines and /leaktest (locks every shared set). The
    semguard-status page is Server(semguard_status=True)."""
    lines = ["LoadModule leaktest_module %s" % leaktest_module()]
    for s in sets:
        lines.append("LeakTestSet %s %s %s %s" % s)
    lines += ["<Location /leaktest>", "    SetHandler leaktest", "</Location>"]
    return "\n".join(lines)


def sets_per_start(sets=DEFAULT_SETS):
    """Sets the test module leaks per start and clean stop: a per-generation
    set in the preflight pass and in the first real pass, a process set once."""
    return sum(1 if s[1] == "process" else 2 for s in sets)
