"""One apache2 server: its configuration (the reference configuration), start, stop, logs."""

import collections
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import time

from . import common as _common
from .common import (APACHE2, ENVIRONMENT_NOISE, _RESUMING, build_dir, itest_dir, timeout, wait_for, _tail,
                     _indent, processes, pid_alive, _proc_state, _reaped, _kill_pids,
                     _reap_own_children, current_test, _register)
from .ipc import (require_private_ipc)
from .http import (_http_get, _free_port)
from .config import DEFAULT_PARAMS, render_config

# --------------------------------------------------------------------------
# Server
# --------------------------------------------------------------------------

StartResult = collections.namedtuple(
    "StartResult", "ok returncode output log elapsed parent reason")
StartResult.__doc__ = """Outcome of Server.start().

ok: the server answered HTTP; returncode: exit status of ``apache2 -k start``
(0 also when the detached parent died later); output: its stdout+stderr
(only errors before the error log is opened land here); log: the error log
written since this start; elapsed: seconds until answered/failed; parent: pid
of the running parent or None; reason: "answered", "apache2 -k start exited N",
"the server exited after detaching", "no answer within Ns (killed)" or
"apache2 -k start hung (killed)"."""

ServerPids = collections.namedtuple("ServerPids", "parent children")
ServerPids.__doc__ = """Processes of one server: parent pid (None if dead) and
children (every other httpd process of this server root, including orphans,
plus their descendants such as the RewriteMap program)."""

_LEVEL_RE = re.compile(r"^\[[^\]]*\] \[([^\]:]*):([a-z0-9]+)\]")
_BAD_LEVELS = {"emerg", "alert", "crit", "error", "warn"}


def _with_descendants(procs, pids):
    """``pids`` and every descendant of theirs in ``procs`` (pid -> Proc), by
    a walk over the parent pids."""
    tree = set(pids)
    changed = True
    while changed:
        changed = False
        for pid, p in procs.items():
            if pid not in tree and p.ppid in tree:
                tree.add(pid)
                changed = True
    return tree


class Server:
    """One apache2 instance with a generated server root.

    The root is ``$SEMGUARD_BUILD_DIR/itest/<script>/<test>/<n>`` with conf/,
    logs/ (error.log, access.log, start-N.out), run/ (pid file, runtime dir,
    ssl cache) and htdocs/index.html.  Ports are free 127.0.0.1 ports.

    Parameters (all keyword; defaults give the reference configuration of
    the leak reproduction plus the module):

    module      load mod_semguard (``LoadModule semguard_module
                $SEMGUARD_MODULE``); False for stock httpd.
    module_position  "debian" (alphabetical among the LoadModules, as
                a2enmod's mods-enabled/semguard.load would be), "first" or
                "last".
    mutex       "sysvsem" -> ``Mutex sysvsem default``; any other mechanism
                name likewise; None -> no Mutex line (Debian's APR default
                is pthread).
    listens     number of ``Listen 127.0.0.1:PORT`` (2 gives prefork an
                accept mutex).
    ssl         mod_ssl + socache_shmcb, ``SSLSessionCache
                shmcb:<root>/run/ssl_scache(512000)``, a self-signed cert
                (made once per build dir), SSL VirtualHost on the 2nd Listen.
    rewrite_map mod_rewrite, ``RewriteEngine On``, ``RewriteMap upper
                prg:/bin/cat`` (creates the rewrite-map mutex).
    status      mod_status at /server-status.
    semguard_status  the module's page at /semguard-status (``Require ip
                127.0.0.1``, as /server-status has).
    user, group httpd's User/Group.
    mpm         "prefork", "worker" or "event".
    start_servers  StartServers (small to keep it light).
    log_level   LogLevel value, e.g. "notice" or "notice semguard:debug".
    extra       raw config lines appended at the end (e.g. SemGuard directives).
    env         extra environment variables for apache2.

    Modules are loaded in Debian's order (alphabetical, as mods-enabled):
    mod_rewrite's post_config runs before mod_ssl's, so on ENOSPC the
    rewrite-map mutex is the one that fails, like on a stock Debian setup.

    Attributes: ``root``, ``conf_path``, ``error_log_path``,
    ``access_log_path``, ``pid_file``, ``ports`` (``port`` is the first,
    ``ssl_port`` the SSL one), ``token`` (a string in htdocs/index.html),
    ``params``, ``starts`` (number of start() calls), ``start_mark`` (error
    log offset of the latest start).  ``name`` defaults to 1, 2, ... per test.

    Every wait is bounded; every Server made during a test is cleaned up
    (stopped, else killed) when the test ends, and its config and error log
    tail are printed if the test failed."""

    _PARAMS = DEFAULT_PARAMS

    def __init__(self, name=None, **params):
        unknown = set(params) - set(self._PARAMS)
        if unknown:
            raise TypeError("unknown Server parameter(s): %s" % ", ".join(sorted(unknown)))
        self.params = dict(self._PARAMS)
        self.params.update(params)
        ctx = _common._CURRENT
        if ctx is not None:
            ctx.counter += 1
            base = ctx.dir
            n = ctx.counter
        else:
            base = os.path.join(itest_dir(), "_adhoc", str(os.getpid()))
            n = len(os.listdir(base)) + 1 if os.path.isdir(base) else 1
        self.name = name or str(n)
        self.root = os.path.join(base, self.name)
        if os.path.exists(self.root):
            shutil.rmtree(self.root)
        for sub in ("conf", "logs", "run", "htdocs"):
            os.makedirs(os.path.join(self.root, sub), exist_ok=True)
        _make_traversable(self.root)
        self.conf_path = os.path.join(self.root, "conf", "httpd.conf")
        self.error_log_path = os.path.join(self.root, "logs", "error.log")
        self.access_log_path = os.path.join(self.root, "logs", "access.log")
        self.pid_file = os.path.join(self.root, "run", "httpd.pid")
        self.token = "semguard-itest %s/%s" % (current_test() or "adhoc", self.name)
        with open(os.path.join(self.root, "htdocs", "index.html"), "w") as f:
            f.write("<html><body>%s</body></html>\n" % self.token)
        os.chmod(os.path.join(self.root, "htdocs", "index.html"), 0o644)
        open(self.error_log_path, "a").close()
        self.ports = []
        self.starts = 0
        self.start_mark = 0
        self.last_parent = None
        self.orphans = set()     # children left by kill9_parent_only: never a parent
        self.write_config()
        _register(self)

    # ---- configuration ---------------------------------------------------

    @property
    def port(self):
        """The first Listen port (plain HTTP)."""
        return self.ports[0]

    @property
    def ssl_port(self):
        """The SSL VirtualHost's port (second Listen), or None."""
        return self.ports[1] if self.params["ssl"] else None

    def reconfigure(self, **params):
        """Change parameters and rewrite conf/httpd.conf (ports are kept;
        more Listens get new ports).  Takes effect at the next start/restart."""
        unknown = set(params) - set(self._PARAMS)
        if unknown:
            raise TypeError("unknown Server parameter(s): %s" % ", ".join(sorted(unknown)))
        self.params.update(params)
        self.write_config()

    def write_config(self):
        """(Re)generate conf/httpd.conf from ``self.params``."""
        p = self.params
        if p["ssl"] and p["listens"] < 2:
            raise ValueError("ssl=True needs listens >= 2 (SSL is on the second Listen)")
        while len(self.ports) < p["listens"]:
            port = _free_port()
            if port not in self.ports:
                self.ports.append(port)
        with open(self.conf_path, "w") as f:
            f.write(self._render())

    def config(self):
        """The current conf/httpd.conf text."""
        with open(self.conf_path) as f:
            return f.read()

    def _render(self):
        files = {"pid_file": self.pid_file, "error_log": self.error_log_path,
                 "access_log": self.access_log_path}
        return render_config(self.params, self.root, self.ports, current_test(), files)

    # ---- processes -------------------------------------------------------

    def _env(self):
        env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
        for k in ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS"):
            if k in os.environ:
                env[k] = os.environ[k]
        if os.environ.get("SEMGUARD_HTTPD_PRELOAD"):
            env["LD_PRELOAD"] = os.environ["SEMGUARD_HTTPD_PRELOAD"]
        env.update(self.params["env"] or {})
        return env

    def _cmd(self, *extra):
        return [APACHE2, "-d", self.root, "-f", self.conf_path] + list(extra)

    def _is_mine(self, proc):
        c = proc.cmdline
        return bool(c) and os.path.basename(c[0]) in ("apache2", "httpd") and \
            any(c[i] == "-f" and c[i + 1] == self.conf_path for i in range(len(c) - 1))

    def _pidfile_pid(self):
        try:
            with open(self.pid_file) as f:
                return int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _tree(self):
        """(procs by pid, httpd pids, parent) for live processes of this server."""
        procs = {p.pid: p for p in processes() if p.state != "Z"}
        mine = {pid for pid, p in procs.items() if self._is_mine(p)}
        tree = _with_descendants(procs, mine)     # RewriteMap programs, CGI, ...
        parent = None
        pf = self._pidfile_pid()
        if pf in mine and procs[pf].ppid not in mine:
            parent = pf
        else:
            # A child is root until it drops privileges; once its parent is
            # killed it is re-parented to PID 1 and would look like a parent.
            roots = [pid for pid in mine if procs[pid].uid == 0 and procs[pid].ppid not in mine
                     and pid not in self.orphans]
            if len(roots) == 1:
                parent = roots[0]
        if parent is not None:   # same process group (setsid at detach)
            for pid, p in procs.items():
                if p.pgid == parent and pid != os.getpid():
                    tree.add(pid)
        return procs, tree, parent

    def pids(self):
        """``ServerPids(parent, children)`` of live (non-zombie) processes."""
        _, tree, parent = self._tree()
        return ServerPids(parent, sorted(tree - {parent}))

    def running(self):
        """True if any process of this server is alive."""
        return bool(self._tree()[1])

    def _family(self, parent):
        """Live processes of ``parent``'s process group (httpd's setsid at
        detach makes the parent a group leader) and its descendants; orphans
        of an earlier parent of this server are not included."""
        procs = {p.pid: p for p in processes() if p.state != "Z"}
        fam = _with_descendants(procs, {pid for pid, p in procs.items()
                                        if p.pgid == parent or pid == parent})
        fam.discard(os.getpid())
        return fam

    def _wait_gone(self, pids, timeout, what, whole_tree=False, family=None, kill=False):
        """Wait until ``pids`` are dead; with ``whole_tree`` also until no
        process of this server is left, with ``family`` until no process of
        that parent's family is left (children forked meanwhile); with
        ``kill`` SIGKILL whatever is still found on each round."""
        deadline = time.monotonic() + timeout
        while True:
            left = {p for p in pids if not _reaped(p)}
            if whole_tree:
                left |= self._tree()[1]
            if family is not None:
                left |= self._family(family)
            if not left:
                return
            if time.monotonic() > deadline:
                raise AssertionError("%s: processes %s still alive after %.1fs\n%s"
                                     % (what, sorted(left), timeout, self._diag()))
            if kill:
                _kill_pids(sorted(left))
            _reap_own_children()
            time.sleep(0.02)

    # ---- lifecycle -------------------------------------------------------

    def _probe(self, timeout=2.0):
        try:
            return _http_get(self.port, "/", timeout=timeout)
        except (OSError, http.client.HTTPException):
            return None

    def start(self, expect_ok=True, timeout=30.0, remove_stale_pidfile=False):
        """Run ``apache2 -d ROOT -f ROOT/conf/httpd.conf -k start`` and wait
        until the parent answers ``GET /`` on the first port, or until every
        process this start made is gone (failed start), or ``timeout``.

        ``expect_ok``: True -> AssertionError (with output and error log tail)
        unless it came up; False -> AssertionError if it came up; None -> no
        check.  Returns a ``StartResult``.  A stale pid file (after kill9) is
        left in place unless ``remove_stale_pidfile``: httpd then logs
        AH00098 (see CRASH_NOISE).  Orphaned children of an earlier parent
        (kill9_parent_only) may still run; a live parent is an error.

        If a port was taken by another program meanwhile ("Address already in
        use") while no process of this server runs, new ports are chosen and
        the start is retried (twice at most).  With orphans of this server
        alive there is no retry: they hold the ports, as in real life."""
        require_private_ipc()
        for attempt in range(3):
            ours = bool(self._tree()[1])
            res = self._start_once(timeout, remove_stale_pidfile)
            text = res.output + res.log
            if res.ok or ours or "(98)Address already in use" not in text or attempt == 2:
                break
            print("    NOTE: server %s: ports %s taken by another program, retrying with new ports"
                  % (self.name, self.ports), flush=True)
            self.ports = []
            self.write_config()
        self._check_start(res, expect_ok)
        return res

    def _start_once(self, timeout, remove_stale_pidfile):
        if self.pids().parent is not None:
            raise AssertionError("start(): server %s is already running: %s"
                                 % (self.name, self.pids()))
        before = self._tree()[1]
        if remove_stale_pidfile and os.path.exists(self.pid_file):
            os.unlink(self.pid_file)
        self.starts += 1
        self.start_mark = self._log_size()
        out_path = os.path.join(self.root, "logs", "start-%d.out" % self.starts)
        t0 = time.monotonic()
        with open(out_path, "w") as out:
            try:
                rc = subprocess.run(self._cmd("-k", "start"), stdin=subprocess.DEVNULL,
                                    stdout=out, stderr=subprocess.STDOUT, env=self._env(),
                                    cwd=self.root, timeout=timeout).returncode
            except subprocess.TimeoutExpired:
                rc = None
        with open(out_path) as f:
            output = f.read()
        ok, parent = False, None
        deadline = t0 + timeout
        reason = ("apache2 -k start hung (killed)" if rc is None else
                  "apache2 -k start exited %d" % rc)
        seen = set()
        if rc == 0:
            reason = "no answer within %.0fs (killed)" % timeout
            while time.monotonic() < deadline:
                _, tree, parent = self._tree()
                seen |= tree - before
                if parent is not None and self._pidfile_pid() == parent and self._probe():
                    ok, reason = True, "answered"
                    break
                if not tree - before:
                    parent, reason = None, "the server exited after detaching"
                    if "already running" in output:
                        reason = "apache2 -k start: " + output.strip()
                    break
                time.sleep(0.05)
        if not ok:
            # a failed or hung start: make sure nothing it made is left
            # running (bounded wait; a hung one is killed)
            def new_procs():
                return self._tree()[1] - before
            try:
                wait_for(lambda: not new_procs() and all(_reaped(p) for p in seen),
                         timeout=max(1.0, deadline - time.monotonic()),
                         what="failed start to exit")
            except AssertionError:
                left = sorted(new_procs() | seen)
                _kill_pids(left)
                self._wait_gone(left, 10, "killing a hung start", kill=True)
            parent = None
        elapsed = time.monotonic() - t0
        self.last_parent = parent
        return StartResult(ok, rc, output, self.error_log(since=self.start_mark), elapsed,
                           parent, reason)

    def _check_start(self, res, expect_ok):
        ok, output = res.ok, res.output
        if expect_ok is True and not ok:
            raise AssertionError("start #%d of server %s failed: %s\n--- start output:\n%s"
                                 "\n--- error log since start:\n%s"
                                 % (self.starts, self.name, res.reason, _indent(output or "(none)"),
                                    _indent(_tail(res.log) or "(empty)")))
        if expect_ok is False and ok:
            raise AssertionError("start #%d of server %s succeeded but was expected to fail"
                                 "\n--- error log since start:\n%s"
                                 % (self.starts, self.name, _indent(_tail(res.log))))

    def _require_parent(self):
        parent = self.pids().parent
        if parent is None:
            raise AssertionError("server %s has no live parent\n%s" % (self.name, self._diag()))
        return parent

    def _signal_restart(self, sig, what, expect_ok, timeout):
        parent = self._require_parent()
        mark = self._log_size()
        t0 = time.monotonic()
        os.kill(parent, sig)
        deadline = t0 + timeout
        while time.monotonic() < deadline:
            if not pid_alive(parent):
                if expect_ok is True:
                    raise AssertionError("%s: parent %d exited\n%s" % (what, parent, self._diag(mark)))
                self._wait_gone([parent], 10, what, family=parent)
                return False
            if _RESUMING in self.error_log(since=mark) and self._probe():
                if expect_ok is False:
                    raise AssertionError("%s: expected the parent to exit, but the new "
                                         "generation is served\n%s" % (what, self._diag(mark)))
                return True
            time.sleep(0.05)
        raise AssertionError("%s: neither a new generation nor an exit within %.1fs\n%s"
                             % (what, timeout, self._diag(mark)))

    def graceful(self, expect_ok=True, timeout=30.0):
        """SIGUSR1 (``-k graceful``); wait until the new generation is served
        ("resuming normal operations" logged and GET / answers).  With
        ``expect_ok=False`` wait for the parent to exit instead.  Returns True
        if the new generation came up, False if the parent exited."""
        return self._signal_restart(signal.SIGUSR1, "graceful", expect_ok, timeout)

    def restart(self, expect_ok=True, timeout=30.0):
        """SIGHUP (``-k restart``); like ``graceful``."""
        return self._signal_restart(signal.SIGHUP, "restart", expect_ok, timeout)

    def stop(self, timeout=20.0):
        """SIGTERM to the parent (``-k stop``); wait until the parent and
        its children are gone (orphans of an earlier, killed parent are left
        alone: ``kill9`` or the end of the test removes them).  Returns
        elapsed seconds."""
        t0 = time.monotonic()
        _, tree, parent = self._tree()
        if parent is None:
            raise AssertionError("stop(): server %s has no live parent (processes: %s)\n%s"
                                 % (self.name, sorted(tree), self._diag()))
        fam = self._family(parent)
        os.kill(parent, signal.SIGTERM)
        self._wait_gone(fam, timeout, "stop", family=parent)
        return time.monotonic() - t0

    def graceful_stop(self, timeout=20.0):
        """SIGWINCH (``-k graceful-stop``); wait like ``stop``."""
        t0 = time.monotonic()
        _, tree, parent = self._tree()
        if parent is None:
            raise AssertionError("graceful_stop(): no live parent\n" + self._diag())
        fam = self._family(parent)
        os.kill(parent, signal.SIGWINCH)
        self._wait_gone(fam, timeout, "graceful_stop", family=parent)
        return time.monotonic() - t0

    def kill9(self, timeout=10.0):
        """SIGKILL the parent and every other process of this server (httpd
        children, orphans, RewriteMap program): a crash that runs no cleanup.
        Waits until all are gone; returns the killed pids.  The pid file
        stays, as after a real crash.

        The parent is SIGSTOPped first so that it cannot fork a child
        between the /proc scan and the kill; nothing runs in between, so it
        is still a crash without any cleanup."""
        _, tree, parent = self._tree()
        if parent is not None:
            _kill_pids([parent], signal.SIGSTOP)
            wait_for(lambda: _proc_state(parent) in ("T", "t", None, "Z"), timeout=5,
                     what="parent %d to stop" % parent)
            _, tree, _ = self._tree()
            tree.add(parent)
        order = ([parent] if parent else []) + sorted(tree - {parent})
        _kill_pids(order)
        self._wait_gone(order, timeout, "kill9", whole_tree=True, kill=True)
        return order

    def kill9_parent_only(self, timeout=10.0):
        """SIGKILL only the parent; returns the pids of its surviving
        children (now orphans of PID 1)."""
        parent = self._require_parent()
        # Wait until every child has dropped privileges (prefork forks more
        # children after the first one answers): the orphans are then the
        # serving children the callers mean, not processes still half made.
        wait_for(lambda: self._children_settled(parent), timeout=timeout,
                 what="children of %d to drop privileges" % parent)
        children = self.pids().children
        self.orphans.update(children)
        _kill_pids([parent])
        self._wait_gone([parent], timeout, "kill9_parent_only")   # reaped by PID 1
        return [c for c in children if pid_alive(c)]

    def _children_settled(self, parent):
        procs = {p.pid: p for p in processes() if p.state != "Z"}
        kids = [p for p in procs.values() if p.ppid == parent and self._is_mine(p)]
        return bool(kids) and all(p.uid != 0 for p in kids)

    def cleanup(self):
        """Stop the server if anything of it runs (kill -9 if stop fails).
        Called automatically at the end of each test."""
        if not self.running():
            return
        try:
            if self.pids().parent is not None:
                self.stop(timeout=15)
        except AssertionError:
            pass
        if self.running():
            self.kill9()

    # ---- HTTP ------------------------------------------------------------

    def get(self, path="/", port=None, tls=None, timeout=5.0):
        """GET ``path`` from 127.0.0.1:``port`` (default: first port).
        ``tls`` defaults to True for the SSL port.  Returns ``Response``
        (status, headers, body); raises OSError/HTTPException on failure."""
        port = port or self.port
        if tls is None:
            tls = port == self.ssl_port
        return _http_get(port, path, tls=tls, timeout=timeout)

    def server_status(self):
        """/server-status?auto as a dict (needs status=True)."""
        r = self.get("/server-status?auto")
        if r.status != 200:
            raise AssertionError("server-status answered %d" % r.status)
        out = {}
        for line in r.body.splitlines():
            if ":" in line:
                k, v = line.split(":", 1)
                out[k.strip()] = v.strip()
        return out

    # ---- logs ------------------------------------------------------------

    def _log_size(self):
        try:
            return os.path.getsize(self.error_log_path)
        except OSError:
            return 0

    def log_mark(self):
        """Current size of the error log, for ``error_log(since=...)``."""
        return self._log_size()

    def error_log(self, since=None, since_start=False):
        """Error log text: everything, or from byte offset ``since``, or
        (``since_start=True``) from the latest start()."""
        if since_start:
            since = self.start_mark
        try:
            with open(self.error_log_path, "rb") as f:
                if since:
                    f.seek(since)
                return f.read().decode("utf-8", "replace")
        except OSError:
            return ""

    def log_lines(self, tag, since=None, since_start=False):
        """Error log lines containing ``tag`` (plain substring, e.g. "SG0110")."""
        return [l for l in self.error_log(since, since_start).splitlines() if tag in l]

    def assert_log_clean(self, allowed=(), since=None, since_start=False,
                         allow_environment_noise=True):
        """Fail on any error/warn/crit/alert/emerg line, and on any
        unformatted line (raw stderr: sanitizer reports, AH00016 ...), unless
        it matches one of ``allowed`` (regular expressions searched in the
        line, e.g. "SG0110", "AH00023").  ENVIRONMENT_NOISE is allowed unless
        ``allow_environment_noise=False``."""
        pats = [re.compile(p) for p in allowed]
        if allow_environment_noise:
            pats += [re.compile(p) for p in ENVIRONMENT_NOISE]
        bad = []
        for line in self.error_log(since, since_start).splitlines():
            if not line.strip():
                continue
            m = _LEVEL_RE.match(line)
            if m and m.group(2) not in _BAD_LEVELS:
                continue
            if any(p.search(line) for p in pats):
                continue
            bad.append(line)
        if bad:
            raise AssertionError("error log of server %s has %d unexpected line(s):\n%s"
                                 % (self.name, len(bad), _indent("\n".join(bad[:40]))))

    # ---- diagnostics -----------------------------------------------------

    def _diag(self, since=None):
        text = self.error_log(since)
        return "--- error log%s of %s:\n%s" % (" (since mark)" if since else "", self.root,
                                               _indent(_tail(text) or "(empty)"))

    def describe(self):
        """Everything useful after a failure: root, ports, processes,
        config, start outputs and the error log tail."""
        parts = ["server %s: root %s ports %s starts %d" % (self.name, self.root, self.ports, self.starts)]
        try:
            parts.append("processes: %s" % (self.pids(),))
        except Exception as e:     # diagnostics must not raise
            parts.append("processes: ? (%s)" % e)
        parts.append("--- %s:\n%s" % (self.conf_path, _indent(self.config())))
        for n in range(max(1, self.starts - 1), self.starts + 1):
            p = os.path.join(self.root, "logs", "start-%d.out" % n)
            if os.path.exists(p):
                with open(p) as f:
                    body = f.read().strip()
                if body:
                    parts.append("--- start-%d.out:\n%s" % (n, _indent(body)))
        parts.append(self._diag())
        return "\n".join(parts)

    def __repr__(self):
        return "<Server %s %s ports=%s>" % (self.name, self.root, self.ports)


def _make_traversable(path):
    """httpd's children (User nobody) must reach htdocs: make the server
    root and the harness-made parents world-traversable, warn otherwise."""
    os.chmod(path, 0o755)
    for sub in ("conf", "logs", "run", "htdocs"):
        os.chmod(os.path.join(path, sub), 0o755)
    p = os.path.dirname(path)
    top = itest_dir()
    while p.startswith(top) and len(p) >= len(top):
        try:
            os.chmod(p, os.stat(p).st_mode | 0o005)
        except OSError:
            pass
        if p == top:
            break
        p = os.path.dirname(p)
    p = top
    while p != "/":
        if not os.stat(p).st_mode & 0o001:
            sys.stderr.write("WARNING: %s is not world-traversable; httpd's User "
                             "cannot read htdocs (GET / will be 403)\n" % p)
            break
        p = os.path.dirname(p)
