// Issue #12's start-time diagnosis: logind's RemoveIPC, SysV use by owner,
// unusable SysV semaphores, and httpd 2.2's lock directives.
#include <gtest/gtest.h>

#include <cerrno>
#include <map>
#include <string>
#include <vector>

#include "config/legacy_directives.h"
#include "diagnosis/owners.h"
#include "diagnosis/removeipc.h"
#include "diagnosis/sysv_usable.h"
#include "fake_kernel.h"

namespace semguard {
namespace {

class FakeFiles : public SystemFiles {
public:
    std::map<std::string, std::string> files;
    std::map<std::string, std::string> broken;  // path -> error
    TextFile read(const std::string& path) override {
        TextFile f;
        f.path = path;
        if (broken.count(path)) {
            f.exists = true;
            f.error = broken[path];
            return f;
        }
        auto it = files.find(path);
        if (it == files.end()) return f;
        f.exists = f.readable = true;
        f.content = it->second;
        return f;
    }
    std::vector<std::string> list(const std::string& dir, const std::string& suffix) override {
        std::vector<std::string> out;
        for (const auto& [path, content] : files)
            if (path.compare(0, dir.size() + 1, dir + "/") == 0 &&
                path.find('/', dir.size() + 1) == std::string::npos &&
                path.size() >= suffix.size() &&
                path.compare(path.size() - suffix.size(), suffix.size(), suffix) == 0)
                out.push_back(path.substr(dir.size() + 1));
        return out;
    }
};

RemoveIpcInput login_user(uid_t uid = 1500, const std::string& shell = "/bin/bash") {
    RemoveIpcInput in;
    in.user_known = true;
    in.uid = uid;
    in.passwd.found = true;
    in.passwd.name = "site";
    in.passwd.shell = shell;
    return in;
}

// ---- RemoveIPC ---------------------------------------------------------------

TEST(RemoveIpc, DefaultsPutALoginUserAtRisk) {
    FakeFiles files;  // no login.defs, no logind.conf: SYS_UID_MAX 999, RemoveIPC=yes
    const RemoveIpcVerdict v = assess_removeipc(login_user(), files);
    EXPECT_TRUE(v.risk);
    EXPECT_TRUE(v.conditions);
    EXPECT_EQ(v.sys_uid_max, 999);
    EXPECT_EQ(v.removeipc_from, "default");
    EXPECT_NE(v.warning.find("site (uid 1500)"), std::string::npos) << v.warning;
    EXPECT_NE(v.warning.find("RemoveIPC=yes (default)"), std::string::npos) << v.warning;
    EXPECT_NE(v.warning.find("SemGuardProtect On"), std::string::npos) << v.warning;
    EXPECT_NE(v.warning.find("RemoveIPC=no"), std::string::npos) << v.warning;
    EXPECT_NE(v.warning.find("system user"), std::string::npos) << v.warning;
    EXPECT_EQ(v.verdict.rfind("at risk", 0), 0u) << v.verdict;
}

TEST(RemoveIpc, SaidOncePerRunUnlessTheVerdictChanges) {
    FakeFiles files;
    DiagnosisView view;  // the run's, kept across restarts
    const RemoveIpcVerdict risk = assess_removeipc(login_user(), files);
    EXPECT_TRUE(remember_removeipc(view, risk));  // the start
    for (int graceful = 0; graceful < 3; ++graceful)
        EXPECT_FALSE(remember_removeipc(view, assess_removeipc(login_user(), files)));
    EXPECT_TRUE(view.removeipc_risk);  // still on the page and in ?metrics
    EXPECT_EQ(view.removeipc_verdict, risk.verdict);

    files.files["/etc/systemd/logind.conf"] = "[Login]\nRemoveIPC=no\n";
    const RemoveIpcVerdict gone = assess_removeipc(login_user(), files);
    EXPECT_FALSE(remember_removeipc(view, gone));  // nothing to say at warn...
    EXPECT_FALSE(view.removeipc_risk);             // ...but the page follows
    EXPECT_EQ(view.removeipc_verdict, gone.verdict);

    files.files.erase("/etc/systemd/logind.conf");
    EXPECT_TRUE(
        remember_removeipc(view, assess_removeipc(login_user(), files)));  // back: said again
    RemoveIpcInput protect = login_user();
    protect.protect = true;
    EXPECT_TRUE(remember_removeipc(view, assess_removeipc(protect, files)));  // SG0131 now
    files.broken["/etc/login.defs"] = "Permission denied";
    EXPECT_TRUE(remember_removeipc(view, assess_removeipc(protect, files)));  // a new SG0132
    EXPECT_FALSE(remember_removeipc(view, assess_removeipc(protect, files)));
}

TEST(RemoveIpc, EachConditionAloneAvertsTheRisk) {
    FakeFiles files;
    EXPECT_FALSE(assess_removeipc(login_user(999), files).risk);  // system user
    EXPECT_FALSE(assess_removeipc(login_user(1500, "/usr/sbin/nologin"), files).risk);
    EXPECT_FALSE(assess_removeipc(login_user(1500, "/bin/false"), files).risk);
    RemoveIpcInput root;
    EXPECT_FALSE(assess_removeipc(root, files).risk);  // no User: root
    files.files["/etc/systemd/logind.conf"] = "[Login]\nRemoveIPC=no\n";
    const RemoveIpcVerdict v = assess_removeipc(login_user(), files);
    EXPECT_FALSE(v.risk);
    EXPECT_EQ(v.removeipc_from, "/etc/systemd/logind.conf");
    EXPECT_TRUE(v.warning.empty());
}

TEST(RemoveIpc, LoginDefsMovesTheSystemRange) {
    FakeFiles files;
    files.files["/etc/login.defs"] = "# comment\nSYS_UID_MAX   1999\nUID_MIN 2000\n";
    const RemoveIpcVerdict v = assess_removeipc(login_user(1500), files);
    EXPECT_FALSE(v.risk);
    EXPECT_EQ(v.sys_uid_max, 1999);
    EXPECT_EQ(v.sys_uid_max_from, "/etc/login.defs");
    bool found = true;
    EXPECT_EQ(parse_sys_uid_max("SYS_UID_MAX abc\n", 999, &found), 999);
    EXPECT_FALSE(found);
    EXPECT_EQ(parse_sys_uid_max("#SYS_UID_MAX 5\n", 999), 999);
}

TEST(RemoveIpc, DropInsOverrideInFileNameOrderAndEtcHidesUsrLib) {
    FakeFiles files;
    files.files["/etc/systemd/logind.conf"] = "[Login]\nRemoveIPC=no\n";
    files.files["/usr/lib/systemd/logind.conf.d/10-vendor.conf"] = "[Login]\nRemoveIPC=yes\n";
    RemoveIpcVerdict v = assess_removeipc(login_user(), files);
    EXPECT_TRUE(v.risk);
    EXPECT_EQ(v.removeipc_from, "/usr/lib/systemd/logind.conf.d/10-vendor.conf");
    // The same name in /etc hides the vendor's file.
    files.files["/etc/systemd/logind.conf.d/10-vendor.conf"] = "[Login]\nRemoveIPC=no\n";
    v = assess_removeipc(login_user(), files);
    EXPECT_FALSE(v.risk);
    EXPECT_EQ(v.removeipc_from, "/etc/systemd/logind.conf.d/10-vendor.conf");
    // A later name wins, whatever its directory.
    files.files["/run/systemd/logind.conf.d/20-admin.conf"] = "[Login]\nRemoveIPC=true\n";
    v = assess_removeipc(login_user(), files);
    EXPECT_TRUE(v.risk);
    EXPECT_EQ(v.removeipc_from, "/run/systemd/logind.conf.d/20-admin.conf");
}

TEST(RemoveIpc, OnlyTheLoginSectionCounts) {
    EXPECT_EQ(parse_remove_ipc("[Other]\nRemoveIPC=no\n"), -1);
    EXPECT_EQ(parse_remove_ipc("[Login]\n#RemoveIPC=no\n"), -1);
    EXPECT_EQ(parse_remove_ipc("[Login]\n  RemoveIPC = off \n"), 0);
    EXPECT_EQ(parse_remove_ipc("[Login]\nRemoveIPC=no\nRemoveIPC=yes\n"), 1);
    std::string bad;
    EXPECT_EQ(parse_remove_ipc("[Login]\nRemoveIPC=maybe\n", &bad), -1);
    EXPECT_NE(bad.find("maybe"), std::string::npos);
}

TEST(RemoveIpc, HostileFilesGiveAClearLineAndTheDefault) {
    FakeFiles files;
    files.broken["/etc/systemd/logind.conf"] = "not a regular file";
    files.files["/etc/systemd/logind.conf.d/x.conf"] =
        std::string("[Login]\nRemoveIPC=\x01\x02garbage\n") + std::string(5000, 'A');
    files.broken["/etc/login.defs"] = "Permission denied (errno 13)";
    const RemoveIpcVerdict v = assess_removeipc(login_user(), files);
    EXPECT_TRUE(v.risk);  // the defaults: RemoveIPC=yes, SYS_UID_MAX 999
    ASSERT_EQ(v.problems.size(), 3u);
    EXPECT_NE(v.problems[0].find("/etc/login.defs"), std::string::npos) << v.problems[0];
    EXPECT_NE(v.problems[1].find("cannot read /etc/systemd/logind.conf: not a regular file"),
              std::string::npos)
        << v.problems[1];
    EXPECT_NE(v.problems[2].find("x.conf"), std::string::npos) << v.problems[2];
    for (const auto& p : v.problems)
        for (unsigned char c : p) EXPECT_GE(c, 0x20) << p;
}

TEST(RemoveIpc, OddPasswdEntries) {
    FakeFiles files;
    RemoveIpcInput none = login_user();
    none.passwd = PasswdFacts{};  // uid without a passwd entry: cannot log in
    RemoveIpcVerdict v = assess_removeipc(none, files);
    EXPECT_FALSE(v.risk);
    EXPECT_NE(v.verdict.find("no passwd entry"), std::string::npos) << v.verdict;
    RemoveIpcInput empty_shell = login_user(1500, "");  // empty shell: /bin/sh
    EXPECT_TRUE(assess_removeipc(empty_shell, files).risk);
    RemoveIpcInput odd = login_user();
    odd.passwd.name = std::string("a\nb\x1b[31m") + std::string(500, 'x');
    v = assess_removeipc(odd, files);
    EXPECT_EQ(v.warning.find('\n'), std::string::npos);
    EXPECT_EQ(v.warning.find('\x1b'), std::string::npos);
    EXPECT_LT(v.warning.size(), 1500u);
}

TEST(RemoveIpc, ProtectionAvertsItAndSaysWhy) {
    FakeFiles files;
    RemoveIpcInput in = login_user();
    in.protect = true;
    const RemoveIpcVerdict v = assess_removeipc(in, files);
    EXPECT_FALSE(v.risk);
    EXPECT_TRUE(v.conditions);
    EXPECT_TRUE(v.warning.empty());
    EXPECT_NE(v.protected_note.find("owner uid only"), std::string::npos) << v.protected_note;
    EXPECT_EQ(v.verdict.rfind("protected", 0), 0u) << v.verdict;
}

// ---- use by owner -------------------------------------------------------------

SetInfo set_of(int semid, uid_t uid, unsigned long nsems) {
    SetInfo s;
    s.semid = semid;
    s.uid = uid;
    s.nsems = nsems;
    return s;
}

TEST(Owners, RowsPerOwnerLargestFirstWithOursAndLookalikes) {
    std::vector<SetInfo> sets = {set_of(1, 33, 1), set_of(2, 33, 1), set_of(3, 33, 1),
                                 set_of(4, 26, 17), set_of(5, 0, 1)};
    auto name = [](uid_t u) { return u == 33 ? std::string("www-data") : u == 0 ? "root" : ""; };
    const OwnerBreakdown b = owner_breakdown(sets, {1, 2}, {3}, name);
    ASSERT_EQ(b.rows.size(), 3u);
    EXPECT_EQ(b.total_owners, 3);
    EXPECT_EQ(b.rows[0].owner, "www-data");
    EXPECT_EQ(b.rows[0].sets, 3);
    EXPECT_EQ(b.rows[0].ours, 2);
    EXPECT_EQ(b.rows[0].httpd_like, 1);
    EXPECT_EQ(b.rows[1].owner, "26");  // no name: the number
    EXPECT_EQ(b.rows[1].semaphores, 17);
    EXPECT_EQ(b.rows[2].owner, "root");
    EXPECT_EQ(describe_owners(b),
              "www-data: 3 sets, 3 semaphores (2 this server's, 1 look like httpd's); "
              "26: 1 set, 17 semaphores; root: 1 set, 1 semaphore");
}

TEST(Owners, AHugeNumberOfOwnersIsFoldedIntoOthers) {
    std::vector<SetInfo> sets;
    int names_asked = 0;
    for (int i = 0; i < 30000; ++i) sets.push_back(set_of(i, 10000 + i, 1));
    sets.push_back(set_of(40000, 5, 2));
    const OwnerBreakdown b = owner_breakdown(sets, {}, {}, [&](uid_t) {
        ++names_asked;
        return std::string("others");  // a user literally named "others" is shown by number
    });
    ASSERT_EQ(b.rows.size(), kOwnerRowsShown + 1);
    EXPECT_EQ(b.total_owners, 30001);
    EXPECT_EQ(names_asked, static_cast<int>(kOwnerRowsShown));
    EXPECT_EQ(b.rows[0].owner, "5");
    EXPECT_TRUE(b.rows.back().others);
    EXPECT_EQ(b.rows.back().owner, "others");
    EXPECT_EQ(b.rows.back().owners, 30001 - static_cast<long>(kOwnerRowsShown));
    long total = 0;
    for (const auto& r : b.rows) total += r.sets;
    EXPECT_EQ(total, 30001);
    EXPECT_LT(describe_owners(b).size(), 1200u);
}

// ---- unusable SysV ----------------------------------------------------------------

std::vector<MutexConfig> mutexes(const char* mech) {
    MutexConfig d{"default", "using_defaults", "pthread", ""};
    MutexConfig a{"mpm-accept", "default", mech, ""};
    MutexConfig s{"ssl-cache", "default", mech, ""};
    return {a, d, s};
}

TEST(SysvUsable, ProbeFailureExplainsWithTheAlternatives) {
    FakeSemKernel kernel;
    kernel.fail_next(FakeSemKernel::Op::ProbeCreate, EOPNOTSUPP);
    const SysvUsability u =
        check_sysv_usable(kernel, mutexes("sysvsem"), {"pthread", "fcntl", "posixsem"});
    EXPECT_TRUE(u.checked);
    EXPECT_FALSE(u.usable);
    EXPECT_EQ(u.error_code, EOPNOTSUPP);
    EXPECT_NE(u.failure.find("(95)"), std::string::npos) << u.failure;
    EXPECT_NE(u.failure.find("qemu-user"), std::string::npos) << u.failure;
    EXPECT_NE(u.failure.find("mpm-accept, ssl-cache"), std::string::npos) << u.failure;
    EXPECT_NE(u.failure.find("`Mutex pthread default`, or `Mutex fcntl default`, or "
                             "`Mutex posixsem default`"),
              std::string::npos)
        << u.failure;
    kernel.fail_next(FakeSemKernel::Op::ProbeCreate, EPERM);
    EXPECT_NE(check_sysv_usable(kernel, mutexes("sysvsem"), {}).failure.find("seccomp"),
              std::string::npos);
}

TEST(SysvUsable, NoProbeWithoutSysvAndEnospcIsTheHeadroomChecks) {
    FakeSemKernel kernel;
    kernel.fail_next(FakeSemKernel::Op::ProbeCreate, ENOSYS);
    SysvUsability u = check_sysv_usable(kernel, mutexes("pthread"), {});
    EXPECT_FALSE(u.checked);
    EXPECT_TRUE(u.usable);
    EXPECT_EQ(kernel.calls(FakeSemKernel::Op::ProbeCreate), 0);
    FakeSemKernel full;
    full.set_limits(250, 32000, 32, 0);  // the probe gets ENOSPC: a limit, not unusable
    u = check_sysv_usable(full, mutexes("sysvsem"), {});
    EXPECT_TRUE(u.checked);
    EXPECT_TRUE(u.usable);
}

// ---- httpd 2.2 lock directives --------------------------------------------------------

TEST(LegacyDirectives, TheSeedsAdviceBecomesThe24Line) {
    LegacyTranslation t = translate_legacy_lock("SSLMutex", "sem");
    ASSERT_TRUE(t.ok) << t.error;
    EXPECT_EQ(t.line(), "Mutex sysvsem ssl-cache");
    EXPECT_NE(t.note.find("SysV"), std::string::npos);
    t = translate_legacy_lock("AcceptMutex", "sysvsem");
    ASSERT_TRUE(t.ok);
    EXPECT_EQ(t.line(), "Mutex sysvsem mpm-accept");
    EXPECT_EQ(translate_legacy_lock("AcceptMutex", "fcntl").line(), "Mutex fcntl mpm-accept");
    EXPECT_EQ(translate_legacy_lock("SSLMutex", "file:/var/run/apache2/ssl_mutex").line(),
              "Mutex fcntl:/var/run/apache2 ssl-cache");
    EXPECT_EQ(translate_legacy_lock("SSLMutex", "yes").line(), "Mutex default ssl-cache");
    EXPECT_EQ(translate_legacy_lock("SSLStaplingMutex", "none").line(), "Mutex none ssl-stapling");
    EXPECT_EQ(translate_legacy_lock("LockFile", "/var/lock/apache2/accept.lock").line(),
              "Mutex default:/var/lock/apache2 mpm-accept");
    EXPECT_EQ(translate_legacy_lock("RewriteLock", "/var/lock/rewrite.lock").line(),
              "Mutex default:/var/lock rewrite-map");
    EXPECT_EQ(translate_legacy_lock("WatchdogMutexPath", "/run/apache2").line(),
              "Mutex default:/run/apache2 watchdog-callback");
}

TEST(LegacyDirectives, BadValuesAreRefusedWithTheirName) {
    LegacyTranslation t = translate_legacy_lock("AcceptMutex", "semaphore");
    EXPECT_FALSE(t.ok);
    EXPECT_NE(t.error.find("AcceptMutex"), std::string::npos) << t.error;
    EXPECT_NE(t.error.find("semaphore"), std::string::npos) << t.error;
    EXPECT_FALSE(translate_legacy_lock("LockFile", "accept.lock").ok);
    EXPECT_FALSE(translate_legacy_lock("SSLMutex", "sem ssl-cache").ok);
    EXPECT_FALSE(translate_legacy_lock("SSLMutex", "").ok);
    EXPECT_EQ(legacy_lock_directives().size(), 6u);
}

}  // namespace
}  // namespace semguard
