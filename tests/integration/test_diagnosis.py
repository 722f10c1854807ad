"""Issue #12: diagnosis where operators look, on the real Debian apache2.

* SG0111 in the error log before httpd's AH00023 (first start: the failure is
  in the preflight pass, before the error log is open, while a module's
  AH00023 in post_config goes to the error log), exactly once; on the start's
  stderr when the failure comes before the log is open (mpm-accept, in
  open_logs), not repeated there.
* SysV unusable (seccomp makes semget fail with EOPNOTSUPP, as qemu-user
  does): SG0133 with the remedy before AH00023; SemGuardRefuseStart honours it.
* logind's RemoveIPC: SG0130 for a login User above SYS_UID_MAX, with
  logind.conf and drop-ins from a private mount namespace; SG0131 with
  SemGuardProtect; SG0132 for a logind.conf that cannot be read; the verdict
  on the page and semguard_removeipc_risk in ?metrics.
* SysV use by owner: on the page in every format and in SG0110.
* httpd 2.2's lock directives (the seed's `SSLMutex sem`, `AcceptMutex`):
  accepted with SG0134 naming the Mutex line, applied through core's Mutex.
* The real configuration path on the page without -f.
"""

import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import harness  # noqa: E402
from harness import Server, sem_sets, set_sem_limits, create_set  # noqa: E402
from diagnosis_support import SeccompServer, NoConfArgServer, fake_system  # noqa: E402

AH00023 = re.compile(r"\[core:emerg\].*AH00023: Couldn't create the (\S+) mutex")
SITE_USER = "semguardsite:x:1500:65534:site owner:/nonexistent:/bin/bash"
NOLOGIN_USER = "semguardsvc:x:1501:65534:service:/nonexistent:/usr/sbin/nologin"


def lines_with(text, tag):
    return [l for l in text.splitlines() if tag in l]


def start_output(s):
    with open(os.path.join(s.root, "logs", "start-%d.out" % s.starts)) as f:
        return f.read()


def stock_ah00023(text):
    return [l for l in text.splitlines() if AH00023.search(l) and "SG01" not in l]


def plant(n, uid=None, nsems=1, key_base=0x5e6b0000):
    return [create_set(nsems=nsems, key=key_base + i, mode=0o644, uid=uid) for i in range(n)]


def page(s, query=""):
    r = s.get("/semguard-status" + query)
    assert r.status == 200, (query, r.status, r.body[:500])
    return r.body


# ---------------------------------------------------------------------------
# 1. SG0111 where AH00023 is
# ---------------------------------------------------------------------------

def test_first_start_sg0111_in_error_log_before_ah00023_once():
    """SEMMNI 16 with 14 foreign sets: the preflight pass needs 3; rewrite-map's
    AH00023 (post_config) is in the error log, and so are the three SG0111
    lines, before it, once each; stderr has them too (the terminal of
    apachectl).  The old code had SG0111 on stderr only."""
    set_sem_limits(250, 32000, 32, 16)
    plant(14)
    s = Server()
    res = s.start(expect_ok=False)
    out = start_output(s)
    in_log = lines_with(res.log, "SG0111")
    assert len(in_log) == 3, "SG0111 not (exactly once) in the error log:\n%s" % res.log
    stock = stock_ah00023(res.log)
    assert len(stock) == 1, res.log
    lines = res.log.splitlines()
    assert lines.index(in_log[-1]) < lines.index(stock[0]), res.log
    assert len(lines_with(out, "SG0111")) == 3, "stderr:\n%s" % out


def test_mpm_accept_failure_sg0111_on_stderr_only_once():
    """No array free: prefork's mpm-accept fails in open_logs, before core
    opened the error log; SG0111 and AH00023 are on the start's stderr, SG0111
    first and exactly three lines (the copy kept for the error log is not
    printed a second time when the log never opened)."""
    set_sem_limits(250, 32000, 32, 8)
    plant(8)
    s = Server()
    res = s.start(expect_ok=False)
    out = start_output(s)
    sg = lines_with(out, "SG0111")
    assert len(sg) == 3, "expected three SG0111 lines on stderr:\n%s" % out
    stock = stock_ah00023(out)
    assert stock and AH00023.search(stock[0]).group(1) == "mpm-accept", out
    lines = out.splitlines()
    assert lines.index(sg[-1]) < lines.index(stock[0]), out
    assert "SG0111" not in res.log, "the log never opened, yet:\n%s" % res.log


def _restart_sg0111(method, semmni_after):
    """SEMMNI 16, 13 foreign sets, the server with its 3; SEMMNI lowered; the
    restart cannot get its sets: SG0111 in the error log, three lines exactly
    (a restart's stderr is the error log: no second copy), before AH00023."""
    set_sem_limits(250, 32000, 32, 16)
    plant(13)
    s = Server()
    s.start()
    set_sem_limits(250, 32000, 32, semmni_after)
    mark = s.log_mark()
    assert getattr(s, method)(expect_ok=False) is False
    log = s.error_log(since=mark)
    sg = lines_with(log, "SG0111")
    stock = stock_ah00023(log)
    assert len(sg) == 3 and len(stock) == 1, log
    lines = log.splitlines()
    assert lines.index(sg[-1]) < lines.index(stock[0]), log


def test_graceful_restart_sg0111_in_error_log_once_before_ah00023():
    _restart_sg0111("graceful", 15)


def test_hard_restart_sg0111_in_error_log_once_before_ah00023():
    _restart_sg0111("restart", 14)


# ---------------------------------------------------------------------------
# 2. SysV semaphores unusable (seccomp)
# ---------------------------------------------------------------------------

def test_stock_httpd_under_seccomp_fails_without_explanation():
    """The failure reproduced: stock apache2 under the seccomp wrapper stops
    with '(95)Operation not supported: AH00023' and nothing else says why."""
    s = SeccompServer(module=False)
    res = s.start(expect_ok=False)
    text = start_output(s) + res.log
    assert re.search(r"\(95\)Operation not supported: AH00023", text), text
    assert "SG0133" not in text


def test_sysv_unusable_explained_before_ah00023_with_remedy():
    s = SeccompServer()
    res = s.start(expect_ok=False)
    out = start_output(s)
    sg = lines_with(out, "SG0133")
    assert len(sg) == 1 and "[semguard:emerg]" in sg[0], out
    assert "(95)Operation not supported" in sg[0] and "qemu-user" in sg[0], sg[0]
    assert "`Mutex pthread default`" in sg[0] and "`Mutex fcntl default`" in sg[0], sg[0]
    assert "mpm-accept" in sg[0], sg[0]
    stock = [l for l in out.splitlines() if "AH00023" in l and "SG0133" not in l]
    assert stock and "(95)Operation not supported" in stock[0], out
    lines = out.splitlines()
    assert lines.index(sg[0]) < lines.index(stock[0]), out
    # EPERM, as a seccomp profile returns it
    s2 = SeccompServer(errno_value=1)
    s2.start(expect_ok=False)
    sg2 = lines_with(start_output(s2), "SG0133")
    assert sg2 and "seccomp" in sg2[0], start_output(s2)


def test_sysv_unusable_refuse_start_stops_before_any_mutex():
    s = SeccompServer(extra="SemGuardRefuseStart On")
    res = s.start(expect_ok=False)
    out = start_output(s)
    assert lines_with(out, "SG0133") and lines_with(out, "SG0112"), out
    assert "AH00023" not in "\n".join(l for l in out.splitlines() if "SG01" not in l), out
    assert "AH00015" in out, out


def test_no_probe_without_sysvsem_under_seccomp():
    """Mutex pthread: nothing uses SysV, the server starts under the filter,
    no SG0133."""
    s = SeccompServer(mutex="pthread")
    res = s.start()
    assert "SG0133" not in start_output(s) + res.log
    s.stop()


# ---------------------------------------------------------------------------
# 3. RemoveIPC
# ---------------------------------------------------------------------------

def _metrics_value(body, name):
    m = re.search(r"^%s (\S+)$" % re.escape(name), body, re.M)
    assert m, "%s not in ?metrics" % name
    return float(m.group(1))


def test_removeipc_risk_warned_shown_and_measured():
    with fake_system(passwd_lines=[SITE_USER], logind_conf="[Login]\n#RemoveIPC=yes\n"):
        s = Server(user="semguardsite", semguard_status=True)
        res = s.start()
        warn = lines_with(res.log, "SG0130")
        assert len(warn) == 1 and "[semguard:warn]" in warn[0], res.log
        for part in ("semguardsite (uid 1500)", "SYS_UID_MAX 999", "shell /bin/bash",
                     "RemoveIPC=yes (default)", "SemGuardProtect On", "RemoveIPC=no",
                     "system user", "AH00144"):
            assert part in warn[0], (part, warn[0])
        doc = json.loads(page(s, "?json"))
        assert doc["removeipc"]["risk"] is True, doc["removeipc"]
        assert doc["removeipc"]["verdict"].startswith("at risk"), doc["removeipc"]
        assert _metrics_value(page(s, "?metrics"), "semguard_removeipc_risk") == 1
        assert "RemoveIPCRisk: yes" in page(s, "?auto")
        assert "at risk" in page(s)
        s.stop()


def test_removeipc_warned_once_per_run_unless_the_verdict_changes():
    """Three graceful restarts with the same conditions: one SG0130 in the
    run, the verdict still on the page and in ?metrics. A drop-in that sets
    RemoveIPC=no changes the verdict (risk gone, page and metrics say so);
    removing it again is a change back: SG0130 once more."""
    with fake_system(passwd_lines=[SITE_USER], logind_conf="[Login]\n"):
        s = Server(user="semguardsite", semguard_status=True)
        s.start()
        for _ in range(3):
            s.graceful()
        log = s.error_log()
        assert len(lines_with(log, "SG0130")) == 1, log
        assert _metrics_value(page(s, "?metrics"), "semguard_removeipc_risk") == 1
        assert json.loads(page(s, "?json"))["removeipc"]["verdict"].startswith("at risk")
        os.mkdir("/etc/systemd/logind.conf.d")
        dropin = "/etc/systemd/logind.conf.d/50-keep-ipc.conf"
        with open(dropin, "w") as f:
            f.write("[Login]\nRemoveIPC=no\n")
        s.graceful()
        assert len(lines_with(s.error_log(), "SG0130")) == 1, s.error_log()
        assert _metrics_value(page(s, "?metrics"), "semguard_removeipc_risk") == 0
        os.unlink(dropin)
        mark = s.log_mark()
        s.graceful()
        assert len(lines_with(s.error_log(since=mark), "SG0130")) == 1, s.error_log()
        s.restart()
        assert len(lines_with(s.error_log(), "SG0130")) == 2, s.error_log()
        assert _metrics_value(page(s, "?metrics"), "semguard_removeipc_risk") == 1
        s.stop()


def test_removeipc_no_in_a_dropin_clears_it():
    with fake_system(passwd_lines=[SITE_USER], logind_conf="[Login]\nRemoveIPC=yes\n",
                     dropins={"50-keep-ipc.conf": "[Login]\nRemoveIPC=no\n"}):
        s = Server(user="semguardsite", semguard_status=True)
        res = s.start()
        assert "SG0130" not in res.log, res.log
        doc = json.loads(page(s, "?json"))
        assert doc["removeipc"]["risk"] is False
        assert "/etc/systemd/logind.conf.d/50-keep-ipc.conf" in doc["removeipc"]["verdict"], doc
        assert _metrics_value(page(s, "?metrics"), "semguard_removeipc_risk") == 0
        s.stop()


def test_removeipc_protect_averts_it_and_logind_style_cleanup_spares_the_sets():
    """SemGuardProtect On: SG0131 instead of SG0130; then what logind's
    clean_ipc_by_uid does (remove every set whose OWNER uid is User's) removes
    none of the server's sets: they are owned by root now."""
    with fake_system(passwd_lines=[SITE_USER]):
        s = Server(user="semguardsite", semguard_status=True, extra="SemGuardProtect On")
        res = s.start()
        assert "SG0130" not in res.log and lines_with(res.log, "SG0131"), res.log
        ours = [x for x in sem_sets()]
        assert ours and all(x["uid"] == 0 for x in ours), ours
        assert not [x for x in sem_sets() if x["uid"] == 1500]
        assert json.loads(page(s, "?json"))["removeipc"]["risk"] is False
        s.stop()


def test_removeipc_without_protection_logind_cleanup_would_remove_them():
    """The same cleanup without protection matches the server's sets (owner
    uid 1500, creator root): that is the risk SG0130 names."""
    with fake_system(passwd_lines=[SITE_USER]):
        s = Server(user="semguardsite")
        s.start()
        owned = [x for x in sem_sets() if x["uid"] == 1500]
        assert owned and all(x["cuid"] == 0 for x in owned), sem_sets()
        s.stop()


def test_removeipc_hostile_files_give_a_clear_line_and_start():
    with fake_system(passwd_lines=[SITE_USER, NOLOGIN_USER], logind_conf_is_dir=True,
                     login_defs="SYS_UID_MAX\tnonsense\n"):
        s = Server(user="semguardsite", semguard_status=True)
        res = s.start()
        bad = lines_with(res.log, "SG0132")
        assert bad and "/etc/systemd/logind.conf" in bad[0] and "not a regular file" in bad[0], \
            res.log
        assert lines_with(res.log, "SG0130"), res.log  # the defaults still apply
        s.stop()
        s2 = Server(user="semguardsvc", semguard_status=True)
        res2 = s2.start()
        assert "SG0130" not in res2.log
        assert "cannot log in" in json.loads(page(s2, "?json"))["removeipc"]["verdict"]
        s2.stop()


# ---------------------------------------------------------------------------
# 4. use by owner
# ---------------------------------------------------------------------------

def test_owner_breakdown_on_the_page_and_in_metrics_and_sg0110():
    set_sem_limits(250, 32000, 32, 20)
    plant(5, uid=65534, nsems=3)   # nobody
    plant(2, uid=0, key_base=0x5e6c0000)
    s = Server(semguard_status=True, extra="SemGuardWarnAt 30")
    res = s.start()
    warn = lines_with(res.log, "SG0110")
    # 5 foreign sets of nobody (15 semaphores) + the carried ssl-cache set of
    # this server (owned by User nobody); root's 2
    assert warn and "Sets in use by owner: nobody: 6 sets, 16 semaphores (1 this server's); " \
        "root: 2 sets, 2 semaphores" in warn[0], res.log
    doc = json.loads(page(s, "?json"))
    rows = {r["owner"]: r for r in doc["owners"]}
    assert rows["nobody"]["sets"] == 5 + rows["nobody"]["this_server"], rows
    assert rows["nobody"]["this_server"] >= 1, rows
    assert rows["root"]["sets"] >= 2, rows
    assert doc["owner_count"] == len(doc["owners"])
    metrics = page(s, "?metrics")
    assert _metrics_value(metrics, 'semguard_owner_sets{owner="nobody"}') == rows["nobody"]["sets"]
    assert _metrics_value(metrics, 'semguard_owner_semaphores{owner="nobody"}') == \
        rows["nobody"]["semaphores"]
    assert re.search(r"^Owner-nobody: sets=\d+ semaphores=\d+ this_server=\d+", page(s, "?auto"),
                     re.M)
    assert "by owner" in page(s)
    s.stop()


def test_many_owners_are_bounded():
    for i in range(40):
        create_set(nsems=1, key=0x5e6d0000 + i, mode=0o600, uid=20000 + i)
    s = Server(semguard_status=True)
    s.start()
    doc = json.loads(page(s, "?json"))
    assert len(doc["owners"]) == 11 and doc["owners"][-1]["others"] is True, doc["owners"]
    assert doc["owner_count"] >= 41
    metrics = page(s, "?metrics")
    assert len(re.findall(r"^semguard_owner_sets\{", metrics, re.M)) == 11
    assert 'semguard_owner_sets{owner="others"}' in metrics
    s.stop()


# ---------------------------------------------------------------------------
# 5. httpd 2.2's lock directives
# ---------------------------------------------------------------------------

LEGACY = "SSLMutex sem\nAcceptMutex sysvsem"


def _config_test(s):
    return subprocess.run(s._cmd("-t"), capture_output=True, text=True, env=s._env(),
                          timeout=30)


def test_stock_httpd_rejects_the_seeds_directives():
    s = Server(module=False, mutex=None, extra=LEGACY)
    r = _config_test(s)
    assert r.returncode != 0 and "Invalid command 'SSLMutex'" in r.stdout + r.stderr, r


def test_legacy_directives_accepted_translated_and_applied():
    s = Server(mutex=None, semguard_status=True, extra=LEGACY)
    r = _config_test(s)
    text = r.stdout + r.stderr
    assert r.returncode == 0, text
    sg = lines_with(text, "SG0134")
    assert len(sg) == 2, text
    assert 'Replace it with: Mutex sysvsem ssl-cache' in sg[0], sg[0]
    assert 'Replace it with: Mutex sysvsem mpm-accept' in sg[1], sg[1]
    s.start()
    doc = json.loads(page(s, "?json"))
    mech = {m["type"]: m["mechanism"] for m in doc["mutexes"]}
    assert mech["ssl-cache"] == "sysvsem" and mech["mpm-accept"] == "sysvsem", mech
    assert mech.get("rewrite-map") != "sysvsem" or mech.get("default") == "sysvsem", mech
    s.stop()


def test_legacy_directive_with_a_bad_value_names_itself():
    s = Server(mutex=None, extra="AcceptMutex semaphores")
    r = _config_test(s)
    assert r.returncode != 0 and "AcceptMutex" in r.stdout + r.stderr, r


# ---------------------------------------------------------------------------
# 6. the configuration path
# ---------------------------------------------------------------------------

def test_config_file_without_f_is_the_real_path():
    s = NoConfArgServer(semguard_status=True)
    s.start()
    doc = json.loads(page(s, "?json"))
    assert doc["server"]["config_file"] == os.path.join(s.root, "apache2.conf"), doc["server"]
    s.stop()


if __name__ == "__main__":
    harness.run()
