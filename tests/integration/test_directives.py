"""mod_semguard's directives under ``apache2 -t`` (the real Debian apache2).

* every bad value of SemGuardReclaim, SemGuardWarnAt, SemGuardRefuseStart,
  SemGuardProtect and SemGuardStateFile makes ``apache2 -t`` exit non-zero
  with httpd's "Syntax error on line N" naming the directive and the values
  it allows;
* every directive is refused inside <VirtualHost>, <Directory>, <Location>
  (they are server-wide);
* the good values (any case, also inside <IfModule>) give "Syntax OK";
* ``apache2 -t`` creates no semaphore set or shared memory segment, writes no
  state file, and does not touch what a crashed run left behind.

Run: python3 tests/integration/test_directives.py [test_name ...]
"""

import hashlib
import os
import re
import subprocess
import sys

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
from harness import Server, sem_sets, create_set  # noqa: E402

# What each directive's error must say about its allowed values.
ALLOWED = {
    "SemGuardReclaim": r"On, Off,? or DryRun|On\|Off\|DryRun",
    "SemGuardWarnAt": r"1 to 100|1-100|1 and 100",
    "SemGuardRefuseStart": r"On or Off|On\|Off",
    "SemGuardProtect": r"On or Off|On\|Off",
    "SemGuardStateFile": r"must name a file|needs a file path|Path of the state file",
}

# (directive, argument text exactly as written in the config)
BAD_VALUES = [
    ("SemGuardReclaim", "maybe"),
    ("SemGuardReclaim", '"dry run"'),
    ("SemGuardReclaim", "dry-run"),
    ("SemGuardReclaim", "yes"),
    ("SemGuardReclaim", "1"),
    ("SemGuardReclaim", '""'),
    ("SemGuardWarnAt", "0"),
    ("SemGuardWarnAt", "101"),
    ("SemGuardWarnAt", "-1"),
    ("SemGuardWarnAt", "80%"),
    ("SemGuardWarnAt", "abc"),
    ("SemGuardWarnAt", '""'),
    ("SemGuardWarnAt", "8.5"),
    ("SemGuardWarnAt", "+80"),
    ("SemGuardWarnAt", "0x50"),
    ("SemGuardWarnAt", "1000"),
    ("SemGuardWarnAt", "99999999999999999999"),
    ("SemGuardRefuseStart", "yes"),
    ("SemGuardRefuseStart", "no"),
    ("SemGuardRefuseStart", "1"),
    ("SemGuardRefuseStart", "true"),
    ("SemGuardRefuseStart", '""'),
    ("SemGuardProtect", "yes"),
    ("SemGuardProtect", "0"),
    ("SemGuardProtect", "maybe"),
    ("SemGuardProtect", '""'),
    ("SemGuardStateFile", "run/"),
    ("SemGuardStateFile", "/var/tmp/semguard/"),
    ("SemGuardStateFile", "/"),
    ("SemGuardStateFile", '""'),
]

# wrong number of arguments: httpd's own "takes one argument, <help>" message
BAD_ARITY = [
    ("SemGuardReclaim", ""),
    ("SemGuardReclaim", "On Off"),
    ("SemGuardWarnAt", ""),
    ("SemGuardWarnAt", "80 90"),
    ("SemGuardRefuseStart", ""),
    ("SemGuardProtect", ""),
    ("SemGuardStateFile", ""),
    ("SemGuardStateFile", "run/a.state run/b.state"),
]

# extra words after an On|Off value (see test_flag_directives_reject_extra_words)
FLAG_EXTRA_WORDS = [
    ("SemGuardRefuseStart", "On Off"),
    ("SemGuardRefuseStart", "Off On"),
    ("SemGuardProtect", "On On"),
    ("SemGuardProtect", "Off yes"),
]

GOOD_VALUE = {
    "SemGuardReclaim": "DryRun",
    "SemGuardWarnAt": "90",
    "SemGuardRefuseStart": "On",
    "SemGuardProtect": "On",
    "SemGuardStateFile": "run/semguard-test.state",
}

GOOD_VALUES = [
    ("SemGuardReclaim", "On"), ("SemGuardReclaim", "Off"), ("SemGuardReclaim", "DryRun"),
    ("SemGuardReclaim", "on"), ("SemGuardReclaim", "OFF"), ("SemGuardReclaim", "dryrun"),
    ("SemGuardWarnAt", "1"), ("SemGuardWarnAt", "50"), ("SemGuardWarnAt", "80"),
    ("SemGuardWarnAt", "100"),
    ("SemGuardRefuseStart", "On"), ("SemGuardRefuseStart", "Off"),
    ("SemGuardRefuseStart", "on"), ("SemGuardRefuseStart", "off"),
    ("SemGuardProtect", "On"), ("SemGuardProtect", "Off"), ("SemGuardProtect", "ON"),
    ("SemGuardStateFile", "run/semguard-test.state"),
    ("SemGuardStateFile", "/var/tmp/semguard-itest-never-written.state"),
    ("SemGuardStateFile", '"run/name with spaces.state"'),
    ("semguardwarnat", "75"),          # directive names are case-insensitive
]


# ---------------------------------------------------------------------------
# helpers (local to this file; the harness has no configtest helper)
# ---------------------------------------------------------------------------

def configtest(s):
    """Run ``apache2 -d ROOT -f CONF -t`` on server ``s``'s current config.
    Returns (exit status, stdout+stderr)."""
    try:
        env = s._env()
    except AttributeError:
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
    r = subprocess.run([harness.APACHE2, "-d", s.root, "-f", s.conf_path, "-t"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, text=True, env=env, cwd=s.root, timeout=30)
    return r.returncode, r.stdout


def line_of(s, needle):
    """1-based line number of the last config line containing ``needle``."""
    n = None
    for i, line in enumerate(s.config().splitlines(), 1):
        if needle in line:
            n = i
    assert n is not None, "%r not in the config" % needle
    return n


def check_rejected(s, directive, text, allowed_re, marker):
    """Return a problem description, or None if ``apache2 -t`` rejected the
    config at the line holding ``marker`` with a message naming
    ``directive`` and matching ``allowed_re``."""
    rc, out = configtest(s)
    case = "%s %s" % (directive, text)
    if rc == 0:
        return "%-40s accepted (exit 0): %s" % (case, out.strip())
    problems = []
    if "Syntax OK" in out:
        problems.append("says Syntax OK")
    if not re.search(r"Syntax error on line %d of %s" % (line_of(s, marker), re.escape(s.conf_path)),
                     out):
        problems.append("no 'Syntax error on line %d'" % line_of(s, marker))
    if directive.lower() not in out.lower():
        problems.append("does not name %s" % directive)
    if allowed_re and not re.search(allowed_re, out):
        problems.append("does not state the allowed values (/%s/)" % allowed_re)
    if problems:
        return "%-40s exit %d, %s:\n        %s" % (case, rc, ", ".join(problems),
                                                   out.strip().replace("\n", "\n        "))
    return None


def ipc_state():
    return sem_sets(), harness.shm_segments()


def files_under(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            p = os.path.join(d, n)
            try:
                with open(p, "rb") as f:
                    out[p] = hashlib.sha256(f.read()).hexdigest()
            except OSError:
                out[p] = None
    return out


def quiet_server():
    """Reference config with the module; the test only runs ``-t`` on it."""
    return Server()


# ---------------------------------------------------------------------------
# tests
# ---------------------------------------------------------------------------

def test_bad_values_rejected():
    """Each bad value: `apache2 -t` exits non-zero, 'Syntax error on line N',
    the directive named, the allowed values stated."""
    s = quiet_server()
    bad = []
    for directive, text in BAD_VALUES:
        s.reconfigure(extra="%s %s" % (directive, text))
        p = check_rejected(s, directive, text, ALLOWED[directive], directive)
        if p:
            bad.append(p)
    assert not bad, "%d of %d bad values not rejected as expected:\n    %s" % (
        len(bad), len(BAD_VALUES), "\n    ".join(bad))


def _check_table(table):
    s = quiet_server()
    bad = []
    for directive, text in table:
        s.reconfigure(extra=("%s %s" % (directive, text)).rstrip())
        p = check_rejected(s, directive, text or "(no argument)", ALLOWED[directive], directive)
        if p:
            bad.append(p)
    assert not bad, "%d of %d not rejected as expected:\n    %s" % (
        len(bad), len(table), "\n    ".join(bad))


def test_wrong_argument_count_rejected():
    """No argument, or two where one is taken: rejected (httpd's 'takes one
    argument, <help text>' or '... must be On or Off'), naming the directive
    and its allowed values."""
    _check_table(BAD_ARITY)


def test_flag_directives_reject_extra_words():
    """`SemGuardRefuseStart Off On` must not silently mean Off.  (httpd's
    AP_INIT_FLAG parsing reads the first word and ignores the rest, so stock
    On|Off directives such as RewriteEngine accept this too; the module's
    safety switches should not.)"""
    _check_table(FLAG_EXTRA_WORDS)


def test_directives_refused_outside_main_server():
    """Good values inside <VirtualHost>, <Directory>, <Location>: rejected,
    naming the directive and the context (the sets are server-wide)."""
    s = quiet_server()
    sections = [
        ("<VirtualHost 127.0.0.1:%d>" % s.port, "</VirtualHost>", r"cannot occur within <VirtualHost> section"),
        ("<Directory %s/htdocs>" % s.root, "</Directory>",
         r"not allowed in <Directory> context|not allowed here"),
        ("<Location /x>", "</Location>", r"not allowed in <Location> context|not allowed here"),
    ]
    bad = []
    n = 0
    for directive, value in GOOD_VALUE.items():
        for open_, close, ctx_re in sections:
            n += 1
            line = "    %s %s" % (directive, value)
            s.reconfigure(extra="\n".join([open_, line, close]))
            p = check_rejected(s, directive, "%s in %s" % (value, open_.split()[0] + ">"),
                               ctx_re, line)
            if p:
                bad.append(p)
    assert not bad, "%d of %d misplaced directives not rejected:\n    %s" % (
        len(bad), n, "\n    ".join(bad))


def test_good_values_accepted():
    """Each good value alone, all of them together, and inside <IfModule>:
    exit 0 and 'Syntax OK', no other output."""
    s = quiet_server()
    bad = []

    def check(extra, label):
        s.reconfigure(extra=extra)
        rc, out = configtest(s)
        rest = [l for l in out.splitlines()
                if l.strip() and "Syntax OK" not in l and not re.search(harness.ENVIRONMENT_NOISE[0], l)]
        if rc != 0 or "Syntax OK" not in out or rest:
            bad.append("%-50s exit %d:\n        %s" % (label, rc, out.strip().replace("\n", "\n        ")))

    for directive, text in GOOD_VALUES:
        check("%s %s" % (directive, text), "%s %s" % (directive, text))
    everything = "\n".join("%s %s" % kv for kv in GOOD_VALUE.items())
    check(everything, "all five together")
    check("<IfModule semguard_module>\n%s\n</IfModule>" % everything, "inside <IfModule semguard_module>")
    check("<IfModule mod_semguard.c>\n%s\n</IfModule>" % everything, "inside <IfModule mod_semguard.c>")
    assert not bad, "%d good value(s) not accepted:\n    %s" % (len(bad), "\n    ".join(bad))


def test_configtest_creates_nothing():
    """`apache2 -t` on the reference config (Mutex sysvsem, SSL, RewriteMap
    prg:) with every directive set: no semaphore set or shm segment appears,
    no file is written under the server root (no state file, default or
    configured), nothing is printed but 'Syntax OK'."""
    foreign = create_set(nsems=2, key=0x5e6c0001, mode=0o644)
    s = quiet_server()
    for extra in ("", "\n".join("%s %s" % kv for kv in GOOD_VALUE.items())):
        s.reconfigure(extra=extra)
        before_ipc = ipc_state()
        before_files = files_under(s.root)
        rc, out = configtest(s)
        assert rc == 0 and out.strip() == "Syntax OK", (rc, out)
        after_ipc = ipc_state()
        assert after_ipc == before_ipc, "apache2 -t changed IPC objects:\nbefore %r\nafter  %r" % (
            before_ipc, after_ipc)
        after_files = files_under(s.root)
        changed = sorted(p for p in set(before_files) | set(after_files)
                         if before_files.get(p) != after_files.get(p))
        assert not changed, "apache2 -t wrote files: %r" % changed
        assert not [f for f in os.listdir(os.path.join(s.root, "run")) if "semguard" in f], \
            os.listdir(os.path.join(s.root, "run"))
    assert [st["semid"] for st in sem_sets()] == [foreign]
    assert not os.path.exists("/var/tmp/semguard-itest-never-written.state")


def test_configtest_leaves_a_crashed_run_alone():
    """After a kill -9 (3 leaked sets and a state file that records them),
    `apache2 -t` reclaims nothing and leaves the state file byte for byte;
    the next real start does reclaim (so the setup was meaningful)."""
    s = quiet_server()
    s.start()
    s.kill9()
    leaked = sem_sets()
    assert len(leaked) == 3, leaked
    run_dir = os.path.join(s.root, "run")
    states = [f for f in os.listdir(run_dir) if f.startswith("semguard.") and f.endswith(".state")]
    assert len(states) == 1, os.listdir(run_dir)
    before_files = files_under(s.root)
    before_ipc = ipc_state()
    rc, out = configtest(s)
    assert rc == 0 and out.strip() == "Syntax OK", (rc, out)
    assert "SG0" not in out, out
    assert ipc_state() == before_ipc, "apache2 -t changed IPC objects"
    after_files = files_under(s.root)
    changed = sorted(p for p in set(before_files) | set(after_files)
                     if before_files.get(p) != after_files.get(p))
    assert not changed, "apache2 -t changed files: %r" % changed
    mark = s.log_mark()
    s.start()
    log = s.error_log(since=mark)
    assert len([l for l in log.splitlines() if "SG0201" in l]) == 1, log
    assert not ({st["semid"] for st in leaked} & {st["semid"] for st in sem_sets()}), \
        "the real start did not reclaim: %r" % sem_sets()
    s.assert_log_clean(allowed=harness.CRASH_NOISE)


if __name__ == "__main__":
    harness.run()
