"""The Debian package: `dpkg-buildpackage -us -uc -b` builds
libapache2-mod-semguard from debian/ (debhelper compat 13, dh_apache2, the
project's Makefile), lintian finds no error, and `dpkg -i` installs it into a
throwaway copy of the system: a private mount namespace with overlays (upper
layers on a tmpfs) over /etc, /usr and /var, so the package's files, the dpkg
database and /etc/apache2 change only there. In it: `a2enmod semguard` fails
before the install (the module does not exist), the package's postinst enables
it through apache2-maintscript-helper, `a2dismod`/`a2enmod` work, and
`apache2ctl -t` accepts Debian's configuration with the module loaded; after
`dpkg --purge` it is gone and the configuration still passes. The host's
/etc/apache2, /var/lib/apache2 and module directory are checksummed before and
after and must be identical.

Run: python3 tests/integration/test_debian_package.py [test_name ...]
"""
import glob
import hashlib
import os
import re
import shutil
import stat
import subprocess
import sys
import time

sys.dont_write_bytecode = True      # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

PACKAGE = "libapache2-mod-semguard"
# What the host must not see changed. (The dpkg database is checked by the
# package's status instead: another apt run on the host may change it meanwhile.)
GUARDED = ["/etc/apache2", "/usr/lib/apache2/modules", "/var/lib/apache2"]


def tree_digest(paths):
    """sha256 over every file's path, type, mode, owner, size, content or
    link target under paths."""
    h = hashlib.sha256()

    def add(p):
        st = os.lstat(p)
        h.update(("%s %o %d %d\n" % (p, st.st_mode, st.st_uid, st.st_gid)).encode())
        if stat.S_ISLNK(st.st_mode):
            h.update(os.readlink(p).encode())
        elif stat.S_ISREG(st.st_mode):
            with open(p, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())

    for top in paths:
        if not os.path.lexists(top):
            h.update(("absent %s\n" % top).encode())
            continue
        add(top)
        for d, dirs, files in os.walk(top):
            dirs.sort()
            for name in sorted(dirs + files):
                add(os.path.join(d, name))
    return h.hexdigest()


def run(cmd, timeout=600, **kw):
    return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)


def build_package():
    """Copies the checkout (tracked and untracked files, not build/) to a
    scratch directory and runs dpkg-buildpackage there; returns the .deb."""
    src = harness.source_dir()
    version = open(os.path.join(src, "debian", "changelog")).readline().split("(")[1].split(")")[0]
    top = os.path.join(harness.build_dir(), "deb")
    shutil.rmtree(top, ignore_errors=True)
    tree = os.path.join(top, "mod-semguard-%s" % version)
    os.makedirs(tree)
    files = run(["git", "-C", src, "ls-files", "-co", "--exclude-standard", "-z"]).stdout
    for rel in files.split("\0"):
        if not rel or rel.startswith("build/") or not os.path.exists(os.path.join(src, rel)):
            continue
        dst = os.path.join(tree, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        shutil.copy2(os.path.join(src, rel), dst)
    # The README's command. Two jobs, and ccache when there is one (the tree is
    # always at the same path, so a second run hits the cache).
    env = dict(os.environ, DEB_BUILD_OPTIONS="parallel=2")
    if shutil.which("ccache"):
        env["CXX"] = "ccache g++"
    r = run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=tree, timeout=900, env=env)
    assert r.returncode == 0, "dpkg-buildpackage failed:\n%s\n%s" % (r.stdout[-4000:], r.stderr[-4000:])
    debs = glob.glob(os.path.join(top, "%s_%s_*.deb" % (PACKAGE, version)))
    assert len(debs) == 1, os.listdir(top)
    changes = glob.glob(os.path.join(top, "*.changes"))
    return debs[0], changes[0] if changes else None


# The throwaway system: runs as `unshare --mount --propagation private bash -c`.
INSIDE = r'''
set -u
scratch=$1 deb=$2
mount -t tmpfs -o mode=0755 semguard-deb-test "$scratch" || exit 90
for d in etc usr var; do
    mkdir -p "$scratch/$d.up" "$scratch/$d.work"
    mount -t overlay overlay -o "lowerdir=/$d,upperdir=$scratch/$d.up,workdir=$scratch/$d.work" "/$d" || exit 91
done
# No service may start or reload in here (the copy's invoke-rc.d asks this).
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod 755 /usr/sbin/policy-rc.d
step() { printf '\n### %s\n' "$*"; "$@"; rc=$?; printf '### exit %d\n' $rc; return $rc; }
step a2enmod semguard && { echo "a2enmod semguard worked before the install"; exit 92; }
step dpkg -i "$deb" || exit 93
step a2query -m semguard || exit 94
step a2dismod -q semguard || exit 95
step a2query -m semguard && exit 96
step a2enmod semguard || exit 97
test -L /etc/apache2/mods-enabled/semguard.load || exit 98
test -L /etc/apache2/mods-enabled/semguard.conf || exit 98
step apache2ctl -t || exit 99
step apache2ctl -M >"$scratch/modules" 2>&1; cat "$scratch/modules"
grep -q 'semguard_module (shared)' "$scratch/modules" || exit 100
step dpkg --purge libapache2-mod-semguard || exit 101
test -e /etc/apache2/mods-enabled/semguard.load && exit 102
test -e /usr/lib/apache2/modules/mod_semguard.so && exit 103
step apache2ctl -t || exit 104
echo INSIDE-OK
'''


@harness.timeout(1500)
def test_build_lint_install_enable():
    for tool in ("dpkg-buildpackage", "dh_apache2", "lintian", "unshare"):
        assert shutil.which(tool) or os.path.exists("/usr/sbin/" + tool), \
            "%s missing: run scripts/setup.sh" % tool
    t0 = time.monotonic()
    before = tree_digest(GUARDED)
    installed = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", PACKAGE]).stdout.strip()
    assert not installed.startswith("ii"), "%s is installed on this host; the test would not " \
        "show anything" % PACKAGE

    deb, changes = build_package()
    print("    built in %.0fs" % (time.monotonic() - t0))

    # The dependency on the exact module API of the apache2 it was built for.
    info = run(["dpkg-deb", "-f", deb, "Depends"]).stdout
    api = re.findall(r"apache2-api-\d{8}\d*", info)
    provides = run(["dpkg-query", "-W", "-f", "${Provides}", "apache2-bin"]).stdout
    assert api and api[0] in provides, "Depends %r, apache2-bin provides %r" % (info, provides)
    listing = run(["dpkg-deb", "-c", deb]).stdout
    for path in ("./usr/lib/apache2/modules/mod_semguard.so",
                 "./etc/apache2/mods-available/semguard.load",
                 "./etc/apache2/mods-available/semguard.conf"):
        assert path in listing, "%s not in the package:\n%s" % (path, listing)
    postinst = run(["dpkg-deb", "-I", deb, "postinst"]).stdout
    assert "apache2-maintscript-helper" in postinst and "apache2_invoke enmod" in postinst \
        and re.search(r"for conf in semguard\b", postinst), postinst
    print("    %s: Depends: %s" % (os.path.basename(deb), info.strip()))

    # lintian: no error; the warnings are listed in the README.
    lint = run(["lintian", "--no-tag-display-limit", changes or deb], timeout=600)
    tags = [l for l in lint.stdout.splitlines() if re.match(r"^[EWIXPO]: ", l)]
    errors = [l for l in tags if l.startswith("E: ")]
    assert not errors, "lintian errors:\n" + "\n".join(errors)
    for l in tags:
        if l.startswith("W: "):
            print("    lintian " + l)

    print("    lintian done at %.0fs" % (time.monotonic() - t0))
    scratch = os.path.join(harness.build_dir(), "deb", "root")
    os.makedirs(scratch, exist_ok=True)
    r = run(["unshare", "--mount", "--propagation", "private", "bash", "-c", INSIDE, "inside",
             scratch, deb], timeout=600)
    after = tree_digest(GUARDED)
    assert after == before, "the host's %s changed" % ", ".join(GUARDED)
    assert not os.listdir(scratch), "the scratch tmpfs leaked into the host: %r" % os.listdir(scratch)
    assert r.returncode == 0 and "INSIDE-OK" in r.stdout, \
        "install test failed (exit %d):\n%s\n%s" % (r.returncode, r.stdout[-6000:], r.stderr[-3000:])
    installed = run(["dpkg-query", "-W", "-f", "${db:Status-Abbrev}", PACKAGE]).stdout.strip()
    assert not installed.startswith("ii"), "the package is installed on the host"
    steps = re.findall(r"^### (.*)\n(?:.*\n)*?^### exit (\d+)$", r.stdout, re.M)
    print("    in the throwaway system: " + "; ".join("%s -> %s" % s for s in steps))
    print("    host %s unchanged (sha256 %s...)" % (", ".join(GUARDED), after[:12]))


if __name__ == "__main__":
    harness.run()
