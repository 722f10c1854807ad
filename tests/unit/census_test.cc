// The census of a pass (SG0135, issue #12 item 7): the run's sets by mutex type
// with its effective mechanism, and those from outside httpd's Mutex table by
// module, bounded.
#include "run/census.h"

#include <gtest/gtest.h>

namespace semguard {
namespace {

RecordedSet set(int id, const std::string& type, const std::string& module = "") {
    RecordedSet r;
    r.identity.semid = id;
    r.type = type;
    r.module = module;
    return r;
}

const std::vector<MutexConfig> kTable = {{"default", "sysvsem", "sysvsem", ""},
                                         {"mpm-accept", "default", "sysvsem", ""},
                                         {"ssl-cache", "pthread", "pthread", ""},
                                         {"rewrite-map", "default", "sysvsem", ""}};

TEST(Census, TypesWithMechanismAndSetsFromOutsideByModule) {
    const Census c = take_census({set(1, "mpm-accept"), set(2, "mpm-accept"), set(3, "rewrite-map"),
                                  set(4, "", "mod_leaktest.c"), set(5, ""),
                                  set(6, "", "mod_leaktest.c"), set(7, "", "mod_security2.c")},
                                 kTable);
    EXPECT_EQ(c.table_sets, 3);
    EXPECT_EQ(c.outside_sets, 4);
    EXPECT_EQ(describe_census(c),
              "this run holds 7 SysV sets now: 3 of httpd's Mutex table (mpm-accept: 2, sysvsem; "
              "rewrite-map: 1, sysvsem); 4 outside it, SysV semaphores the modules create "
              "themselves (mod_leaktest.c: 2; mod_security2.c: 1; unknown: 1)");
}

TEST(Census, ATypeNoLongerInTheTableCountsOutsideUnderItsName) {
    const Census c = take_census({set(1, "ssl-stapling")}, kTable);
    EXPECT_EQ(c.table_sets, 0);
    ASSERT_EQ(c.outside.size(), 1u);
    EXPECT_EQ(c.outside[0].name, "ssl-stapling");
}

TEST(Census, NothingAndOnlyTheTable) {
    EXPECT_EQ(describe_census(take_census({}, kTable)),
              "this run holds no SysV semaphore sets now");
    EXPECT_EQ(describe_census(take_census({set(1, "mpm-accept")}, kTable)),
              "this run holds 1 SysV set now: 1 of httpd's Mutex table (mpm-accept: 1, sysvsem); "
              "0 outside it");
}

TEST(Census, ALongListGivesACountAndNamesThePage) {
    std::vector<RecordedSet> sets;
    for (int i = 0; i < 500; ++i) sets.push_back(set(i, "", "mod_m" + std::to_string(i) + ".c"));
    for (int i = 0; i < 3; ++i) sets.push_back(set(1000 + i, "", "mod_big.c"));
    const std::string text = describe_census(take_census(sets, kTable), 8);
    EXPECT_NE(text.find("503 outside it"), std::string::npos) << text;
    EXPECT_NE(text.find("(mod_big.c: 3; "), std::string::npos) << text;  // most sets first
    EXPECT_NE(text.find("and 493 sets of 493 more origins (the status page lists every set)"),
              std::string::npos)
        << text;
    EXPECT_LT(text.size(), 600u);
}

}  // namespace
}  // namespace semguard
