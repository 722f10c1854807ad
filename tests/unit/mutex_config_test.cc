// parse_mutex_dump: httpd's own dump of its mutex table (ap_dump_mutexes, as
// `apache2ctl -t -D DUMP_RUN_CFG` prints it) turned into effective mechanisms,
// with 'default' resolved to APR's default, which httpd never names.
#include "mutex/mutex_config.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace semguard {
namespace {

// What Debian's apache2 with mod_ssl and mod_rewrite prints after
// `Mutex sysvsem default` style configuration (trailing space after the
// mechanism is httpd's: the [OmitPid] slot is empty).
const char* const kDebianDump =
    "Mutex default: dir=\"/run/apache2/\" mechanism=sysvsem \n"
    "Mutex mpm-accept: using_defaults\n"
    "Mutex ssl-cache: none\n"
    "Mutex rewrite-map: dir=\"/x\" mechanism=fcntl [OmitPid]\n"
    "Mutex ssl-stapling: using_defaults\n"
    "Mutex ssl-stapling-refresh: using_defaults\n";

const MutexConfig* find(const MutexConfigResult& r, const std::string& type) {
    for (const auto& m : r.mutexes)
        if (m.type == type) return &m;
    return nullptr;
}

std::vector<std::string> types_of(const MutexConfigResult& r) {
    std::vector<std::string> out;
    for (const auto& m : r.mutexes) out.push_back(m.type);
    return out;
}

TEST(MutexConfig, RealisticDumpResolvesEveryType) {
    const MutexConfigResult r = parse_mutex_dump(kDebianDump, "sysvsem");
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    ASSERT_EQ(r.mutexes.size(), 6u);

    const MutexConfig* def = find(r, "default");
    ASSERT_NE(def, nullptr);
    EXPECT_EQ(def->configured, "sysvsem");
    EXPECT_EQ(def->mechanism, "sysvsem");
    EXPECT_EQ(def->dir, "") << "sysvsem uses no directory";
    EXPECT_TRUE(def->sysv());

    const MutexConfig* accept = find(r, "mpm-accept");
    ASSERT_NE(accept, nullptr);
    EXPECT_EQ(accept->configured, "using_defaults");
    EXPECT_EQ(accept->mechanism, "sysvsem");
    EXPECT_EQ(accept->dir, "");
    EXPECT_TRUE(accept->sysv());

    const MutexConfig* cache = find(r, "ssl-cache");
    ASSERT_NE(cache, nullptr);
    EXPECT_EQ(cache->configured, "none");
    EXPECT_EQ(cache->mechanism, "none");
    EXPECT_FALSE(cache->sysv());

    const MutexConfig* map = find(r, "rewrite-map");
    ASSERT_NE(map, nullptr);
    EXPECT_EQ(map->configured, "fcntl");
    EXPECT_EQ(map->mechanism, "fcntl");
    EXPECT_EQ(map->dir, "/x") << "file-based mechanisms keep their directory";
    EXPECT_FALSE(map->sysv());

    ASSERT_NE(find(r, "ssl-stapling"), nullptr);
    EXPECT_EQ(find(r, "ssl-stapling")->mechanism, "sysvsem");
}

TEST(MutexConfig, SortedByTypeWithDefaultIncluded) {
    const MutexConfigResult r = parse_mutex_dump(kDebianDump, "sysvsem");
    const std::vector<std::string> expected{"default",   "mpm-accept",   "rewrite-map",
                                            "ssl-cache", "ssl-stapling", "ssl-stapling-refresh"};
    EXPECT_EQ(types_of(r), expected);
}

TEST(MutexConfig, MechanismDefaultResolvesToTheAprDefaultPassedIn) {
    const std::string dump =
        "Mutex default: dir=\"/run/apache2/\" mechanism=default \n"
        "Mutex mpm-accept: using_defaults\n"
        "Mutex rewrite-map: dir=\"/var/lock\" mechanism=default \n";
    {
        const MutexConfigResult r = parse_mutex_dump(dump, "sysvsem");
        ASSERT_TRUE(r.errors.empty());
        EXPECT_EQ(find(r, "default")->configured, "default");
        EXPECT_EQ(find(r, "default")->mechanism, "sysvsem");
        EXPECT_EQ(find(r, "mpm-accept")->mechanism, "sysvsem");
        EXPECT_EQ(find(r, "rewrite-map")->configured, "default");
        EXPECT_EQ(find(r, "rewrite-map")->mechanism, "sysvsem");
        EXPECT_TRUE(find(r, "rewrite-map")->sysv());
    }
    {
        const MutexConfigResult r = parse_mutex_dump(dump, "pthread");
        EXPECT_EQ(find(r, "default")->mechanism, "pthread");
        EXPECT_EQ(find(r, "mpm-accept")->mechanism, "pthread");
        EXPECT_EQ(find(r, "rewrite-map")->mechanism, "pthread");
        EXPECT_FALSE(find(r, "mpm-accept")->sysv());
    }
    {
        // fcntl as APR's default: the directory follows the line it came from.
        const MutexConfigResult r = parse_mutex_dump(dump, "fcntl");
        EXPECT_EQ(find(r, "mpm-accept")->mechanism, "fcntl");
        EXPECT_EQ(find(r, "mpm-accept")->dir, "/run/apache2/");
        EXPECT_EQ(find(r, "rewrite-map")->dir, "/var/lock");
    }
}

TEST(MutexConfig, UsingDefaultsFollowsAnExplicitDefaultLine) {
    const std::string dump =
        "Mutex default: dir=\"/run/apache2/\" mechanism=flock \n"
        "Mutex mpm-accept: using_defaults\n"
        "Mutex ssl-cache: dir=\"/run/apache2/\" mechanism=sysvsem \n";
    const MutexConfigResult r = parse_mutex_dump(dump, "sysvsem");
    EXPECT_EQ(find(r, "mpm-accept")->mechanism, "flock");
    EXPECT_EQ(find(r, "mpm-accept")->dir, "/run/apache2/");
    EXPECT_FALSE(find(r, "mpm-accept")->sysv());
    EXPECT_EQ(find(r, "ssl-cache")->mechanism, "sysvsem");
    EXPECT_EQ(find(r, "ssl-cache")->dir, "");
}

TEST(MutexConfig, WithoutADefaultLineUsingDefaultsIsTheAprDefault) {
    const MutexConfigResult r = parse_mutex_dump("Mutex mpm-accept: using_defaults\n", "sysvsem");
    ASSERT_EQ(r.mutexes.size(), 1u);
    EXPECT_EQ(r.mutexes[0].type, "mpm-accept");
    EXPECT_EQ(r.mutexes[0].mechanism, "sysvsem");
}

TEST(MutexConfig, OmitPidAndTrailingSpaceAndCarriageReturnAreIgnored) {
    const std::string dump =
        "Mutex default: dir=\"/run/apache2/\" mechanism=posixsem [OmitPid]\r\n"
        "Mutex proxy: dir=\"/run/apache2/\" mechanism=pthread   \r\n"
        "Mutex mpm-accept: using_defaults\r\n"
        "Mutex ssl-cache: none  \n";
    const MutexConfigResult r = parse_mutex_dump(dump, "sysvsem");
    EXPECT_TRUE(r.errors.empty()) << r.errors.front();
    EXPECT_EQ(find(r, "default")->mechanism, "posixsem");
    EXPECT_EQ(find(r, "proxy")->mechanism, "pthread");
    EXPECT_EQ(find(r, "mpm-accept")->mechanism, "posixsem");
    EXPECT_EQ(find(r, "mpm-accept")->configured, "using_defaults");
    EXPECT_EQ(find(r, "ssl-cache")->mechanism, "none");
}

TEST(MutexConfig, GarbageLinesAreReportedAndTheRestIsKept) {
    const std::string dump =
        "ServerRoot: \"/etc/apache2\"\n"
        "Mutex default: dir=\"/run/apache2/\" mechanism=sysvsem \n"
        "Mutex : using_defaults\n"
        "Mutex mpm-accept using_defaults\n"
        "Mutex ssl-cache: sometimes\n"
        "Mutex rewrite-map: dir=\"/x\" mechanism=\n"
        "Mutex proxy: dir=\"/x\n"
        "Mutex authdigest-client: using_defaults\n";
    const MutexConfigResult r = parse_mutex_dump(dump, "sysvsem");
    const std::vector<std::string> expected_errors{
        "ServerRoot: \"/etc/apache2\"",
        "Mutex : using_defaults",
        "Mutex mpm-accept using_defaults",
        "Mutex ssl-cache: sometimes",
        "Mutex rewrite-map: dir=\"/x\" mechanism=",
        "Mutex proxy: dir=\"/x",
    };
    EXPECT_EQ(r.errors, expected_errors);
    EXPECT_EQ(types_of(r), (std::vector<std::string>{"authdigest-client", "default"}));
    EXPECT_EQ(find(r, "authdigest-client")->mechanism, "sysvsem");
}

TEST(MutexConfig, EmptyDumpGivesNothingAndNoErrors) {
    for (const char* dump : {"", "\n", "\n\n\n"}) {
        const MutexConfigResult r = parse_mutex_dump(dump, "sysvsem");
        EXPECT_TRUE(r.mutexes.empty()) << "dump: '" << dump << "'";
        EXPECT_TRUE(r.errors.empty()) << "dump: '" << dump << "'";
    }
}

TEST(MutexConfig, LastLineWithoutNewlineCounts) {
    const MutexConfigResult r = parse_mutex_dump("Mutex mpm-accept: none", "sysvsem");
    ASSERT_EQ(r.mutexes.size(), 1u);
    EXPECT_EQ(r.mutexes[0].mechanism, "none");
}

}  // namespace
}  // namespace semguard
