"""The dynamic symbol table of the mod_semguard.so that the tests load (the one
`make install` and the Debian package ship, built by the same Makefile rule).

httpd finds a module by its record (``LoadModule semguard_module``) and needs
nothing else from it. httpd loads modules with RTLD_GLOBAL, so every symbol a
module exports joins the search for every module loaded after it: another
C++ module could bind to our copy of an engine function or a std:: template
instance, or we to its. mod_semguard/httpd/exports.map keeps the rest local.

Run: python3 tests/integration/test_module_symbols.py [test_name ...]
"""
import os
import shutil
import subprocess
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server  # noqa: E402


def exported_symbols(path):
    """Defined names in the dynamic symbol table of ``path`` (``nm -D``)."""
    nm = shutil.which("nm")
    if not nm:
        harness.fail("nm not found (binutils): cannot read the module's symbol table")
    r = subprocess.run([nm, "-D", "--format=posix", "--defined-only", path],
                       capture_output=True, text=True, check=True)
    return sorted(line.split()[0] for line in r.stdout.splitlines() if line.strip())


def test_the_module_exports_its_record_alone():
    exported = exported_symbols(harness.module_path())
    assert exported == ["semguard_module"], \
        "%d exported symbols, expected semguard_module alone: %s" % (
            len(exported), ", ".join(exported[:20]))


def test_no_engine_symbol_is_left_for_the_dynamic_linker():
    """Calls inside the module are bound at link time: no relocation names a
    semguard:: symbol, so none is looked up in httpd's global scope at load
    time, where an earlier module's symbol of the same name would win (with
    every symbol exported, 387 relocations did)."""
    readelf = shutil.which("readelf")
    if not readelf:
        harness.fail("readelf not found (binutils): cannot read the module's relocations")
    r = subprocess.run([readelf, "-rW", harness.module_path()], capture_output=True, text=True,
                       check=True)
    ours = [line.split()[4] for line in r.stdout.splitlines()
            if len(line.split()) > 4 and "8semguard" in line.split()[4]]
    assert not ours, "%d relocations against engine symbols: %s" % (
        len(ours), ", ".join(sorted(set(ours))[:20]))


def test_the_module_still_loads_and_serves():
    s = Server(semguard_status=True)
    s.start()
    r = s.get("/semguard-status?auto")
    assert r.status == 200 and "\nHeadroom: ok\n" in r.body, r
    s.stop()


if __name__ == "__main__":
    harness.run()
