"""Helpers for test_diagnosis.py (issue #12): a Server run under a seccomp
filter that makes semget fail, a Server started without -f, and a private
mount namespace that supplies /etc/passwd, /etc/login.defs and logind.conf.

Everything here stays inside the namespaces the harness made: the mounts are
made after unshare(CLONE_NEWNS) with private propagation, and undone after."""

import contextlib
import ctypes
import os
import shutil
import subprocess
import tempfile

import harness
from harness import Server

CLONE_NEWNS = 0x00020000


def deny_semget_path():
    """The seccomp wrapper built from tests/tools/deny_semget.c."""
    path = os.path.join(harness.build_dir(), "tests", "semguard_deny_semget")
    if not os.access(path, os.X_OK):
        harness.fail("%s is not built (cmake target semguard_deny_semget)" % path)
    return path


class SeccompServer(Server):
    """apache2 started through deny_semget ERRNO: every semget fails."""

    def __init__(self, name=None, errno_value=95, **params):
        self.errno_value = errno_value
        super().__init__(name, **params)

    def _cmd(self, *extra):
        return [deny_semget_path(), str(self.errno_value)] + super()._cmd(*extra)


class NoConfArgServer(Server):
    """Started as ``apache2 -d ROOT`` without -f, as Debian's apache2ctl does:
    httpd reads SERVER_CONFIG_FILE ("apache2.conf") relative to ServerRoot."""

    def __init__(self, name=None, **params):
        super().__init__(name, **params)
        self.conf_path = os.path.join(self.root, "apache2.conf")
        self.write_config()

    def _cmd(self, *extra):
        return [harness.APACHE2, "-d", self.root] + list(extra)

    def _is_mine(self, proc):
        c = proc.cmdline
        return bool(c) and os.path.basename(c[0]) in ("apache2", "httpd") and \
            any(c[i] == "-d" and c[i + 1] == self.root for i in range(len(c) - 1))


def _run(*cmd):
    subprocess.run(list(cmd), check=True, capture_output=True, timeout=10)


def _private_mount_namespace():
    harness.require_private_ipc()
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    _run("mount", "--make-rprivate", "/")


@contextlib.contextmanager
def fake_system(passwd_lines=(), login_defs=None, logind_conf=None, dropins=None,
                logind_conf_is_dir=False):
    """Within this block /etc/passwd has ``passwd_lines`` appended, and
    /etc/systemd is a tmpfs with the given logind.conf (None: absent; or a
    directory when ``logind_conf_is_dir``) and logind.conf.d drop-ins
    ({name: text}); /etc/login.defs is replaced when ``login_defs`` is given."""
    _private_mount_namespace()
    work = tempfile.mkdtemp(prefix="semguard-fakesys-")
    mounted = []
    try:
        with open("/etc/passwd") as f:
            passwd = f.read()
        path = os.path.join(work, "passwd")
        with open(path, "w") as f:
            f.write(passwd.rstrip("\n") + "\n" + "".join(l + "\n" for l in passwd_lines))
        os.chmod(path, 0o644)
        _run("mount", "--bind", path, "/etc/passwd")
        mounted.append("/etc/passwd")
        if login_defs is not None:
            path = os.path.join(work, "login.defs")
            with open(path, "w") as f:
                f.write(login_defs)
            _run("mount", "--bind", path, "/etc/login.defs")
            mounted.append("/etc/login.defs")
        _run("mount", "-t", "tmpfs", "-o", "size=1m,mode=755", "tmpfs", "/etc/systemd")
        mounted.append("/etc/systemd")
        if logind_conf_is_dir:
            os.mkdir("/etc/systemd/logind.conf")
        elif logind_conf is not None:
            with open("/etc/systemd/logind.conf", "w") as f:
                f.write(logind_conf)
        if dropins:
            os.mkdir("/etc/systemd/logind.conf.d")
            for name, text in dropins.items():
                with open(os.path.join("/etc/systemd/logind.conf.d", name), "w") as f:
                    f.write(text)
        yield
    finally:
        for m in reversed(mounted):
            subprocess.run(["umount", "-l", m], capture_output=True, timeout=10)
        shutil.rmtree(work, ignore_errors=True)
