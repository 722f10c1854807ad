// assess_headroom: the startup check's verdict and the exact lines an
// administrator reads (SG0101 summary, SG0110 warning, SG0111 failure).
#include "headroom/headroom.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace semguard {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

bool starts_with(const std::string& s, const std::string& prefix) {
    return s.compare(0, prefix.size(), prefix) == 0;
}

MutexConfig sysv(const std::string& type) { return {type, "using_defaults", "sysvsem", ""}; }

std::vector<MutexConfig> reference_mutexes() {
    return {{"default", "sysvsem", "sysvsem", ""},
            sysv("mpm-accept"),
            sysv("rewrite-map"),
            sysv("ssl-cache")};
}

SemLimits limits(long semmsl, long semmns, long semopm, long semmni) {
    SemLimits l;
    l.semmsl = semmsl;
    l.semmns = semmns;
    l.semopm = semopm;
    l.semmni = semmni;
    l.semvmx = 32767;
    l.semaem = 32767;
    l.semmnu = 32000L * 32000L;
    l.semume = 500;
    l.undo_enforced = false;
    return l;
}

Projection need(long n, bool exact = true) {
    Projection p;
    p.arrays = n;
    p.semaphores = n;
    p.exact = exact;
    return p;
}

HeadroomInput input(SemLimits l, long used_arrays, long used_sems, long needed) {
    HeadroomInput in;
    in.limits = l;
    in.usage.arrays = used_arrays;
    in.usage.semaphores = used_sems;
    in.need = need(needed);
    in.mutexes = reference_mutexes();
    in.warn_at_percent = 80;
    in.alternatives = {"pthread", "fcntl"};
    return in;
}

TEST(Headroom, NoSysvMeansNothingToCheck) {
    HeadroomInput in = input(limits(250, 32000, 32, 128), 127, 127, 3);
    in.mutexes = {{"default", "pthread", "pthread", ""},
                  {"mpm-accept", "using_defaults", "pthread", ""},
                  {"ssl-cache", "none", "none", ""}};
    const HeadroomVerdict v = assess_headroom(in);
    EXPECT_FALSE(v.uses_sysv);
    EXPECT_EQ(v.state, HeadroomState::Ok);
    EXPECT_TRUE(starts_with(v.summary, "no mutex uses SysV semaphores, nothing to check: "))
        << v.summary;
    EXPECT_TRUE(contains(v.summary, "pthread (mpm-accept)")) << v.summary;
    EXPECT_TRUE(contains(v.summary, "none (ssl-cache)")) << v.summary;
    EXPECT_EQ(v.warning, "");
    EXPECT_TRUE(v.failure.empty());
}

TEST(Headroom, OnlyTheDefaultEntryUsingSysvIsNoSysv) {
    HeadroomInput in = input(limits(250, 32000, 32, 128), 0, 0, 0);
    in.mutexes = {{"default", "sysvsem", "sysvsem", ""}, {"mpm-accept", "pthread", "pthread", ""}};
    EXPECT_FALSE(assess_headroom(in).uses_sysv);
}

TEST(Headroom, OkSummaryHasTheExactNumbers) {
    const HeadroomVerdict v = assess_headroom(input(limits(250, 32000, 32, 128), 5, 7, 3));
    EXPECT_TRUE(v.uses_sysv);
    EXPECT_EQ(v.state, HeadroomState::Ok);
    EXPECT_EQ(v.warning, "");
    EXPECT_TRUE(v.failure.empty());
    EXPECT_EQ(v.summary,
              "mutexes: sysvsem (mpm-accept, rewrite-map, ssl-cache); SysV arrays 5/128 in use, "
              "semaphores 7/32000 in use; this configuration needs 3 arrays and 3 semaphores; "
              "undo structures are not limited on this OS; mod_semguard 0.1.0");
    EXPECT_TRUE(contains(v.summary, "SysV arrays 5/128 in use"));
}

TEST(Headroom, SummaryMarksAnInexactProjection) {
    HeadroomInput in = input(limits(250, 32000, 32, 128), 5, 5, 3);
    in.need.exact = false;
    const HeadroomVerdict v = assess_headroom(in);
    EXPECT_TRUE(contains(v.summary, "needs 3 (at most) arrays and 3 semaphores")) << v.summary;
}

TEST(Headroom, SummaryNamesEveryMechanism) {
    HeadroomInput in = input(limits(250, 32000, 32, 128), 0, 0, 1);
    in.mutexes.push_back({"proxy", "fcntl", "fcntl", "/run/apache2"});
    const HeadroomVerdict v = assess_headroom(in);
    EXPECT_TRUE(starts_with(
        v.summary, "mutexes: fcntl (proxy); sysvsem (mpm-accept, rewrite-map, ssl-cache); "))
        << v.summary;
}

TEST(Headroom, WarningAtTheThreshold) {
    // 10 in use + 3 needed of 16 = 81% >= 80.
    const HeadroomVerdict v = assess_headroom(input(limits(250, 32000, 32, 16), 10, 10, 3));
    EXPECT_EQ(v.state, HeadroomState::Warn);
    EXPECT_TRUE(v.failure.empty());
    ASSERT_NE(v.warning, "");
    EXPECT_TRUE(
        contains(v.warning, "13 of 16 arrays (SEMMNI) will be in use (81%, SemGuardWarnAt 80%)"))
        << v.warning;
    // SEMMSL and SEMOPM stay, SEMMNS is already roomy, SEMMNI goes up.
    EXPECT_EQ(v.sysctl_line, "sysctl -w kernel.sem=\"250 32000 32 128\"");
    EXPECT_TRUE(contains(v.warning, v.sysctl_line)) << v.warning;
    EXPECT_TRUE(contains(v.warning, "/etc/sysctl.d/")) << v.warning;
    EXPECT_TRUE(contains(v.warning, "`Mutex pthread default`")) << v.warning;
}

TEST(Headroom, ExactlyAtAndJustBelowTheThreshold) {
    // 77 + 3 = 80 of 100: 80% warns; 76 + 3 = 79%: silent.
    const HeadroomVerdict at = assess_headroom(input(limits(250, 32000, 32, 100), 77, 77, 3));
    EXPECT_EQ(at.state, HeadroomState::Warn);
    EXPECT_TRUE(contains(at.warning, "(80%,")) << at.warning;

    const HeadroomVerdict below = assess_headroom(input(limits(250, 32000, 32, 100), 76, 76, 3));
    EXPECT_EQ(below.state, HeadroomState::Ok);
    EXPECT_EQ(below.warning, "");
    EXPECT_TRUE(below.failure.empty());
    // The summary is there either way.
    EXPECT_TRUE(contains(below.summary, "SysV arrays 76/100 in use")) << below.summary;
}

TEST(Headroom, WarnAtIsHonoured) {
    HeadroomInput in = input(limits(250, 32000, 32, 100), 40, 40, 3);  // 43%
    in.warn_at_percent = 43;
    EXPECT_EQ(assess_headroom(in).state, HeadroomState::Warn);
    in.warn_at_percent = 44;
    EXPECT_EQ(assess_headroom(in).state, HeadroomState::Ok);
    in.warn_at_percent = 100;
    in.usage.arrays = 97;  // 100 of 100: still fits, 100%
    EXPECT_EQ(assess_headroom(in).state, HeadroomState::Warn);
}

TEST(Headroom, WarningNamesSemaphoresWhenSemmnsIsTheTighterOne) {
    // Arrays 13/128 (10%), semaphores 85/100 (85%).
    HeadroomInput in = input(limits(250, 100, 32, 128), 10, 82, 3);
    const HeadroomVerdict v = assess_headroom(in);
    EXPECT_EQ(v.state, HeadroomState::Warn);
    EXPECT_TRUE(contains(v.warning, "85 of 100 semaphores (SEMMNS) will be in use (85%"))
        << v.warning;
    EXPECT_EQ(v.sysctl_line, "sysctl -w kernel.sem=\"250 256 32 128\"");
}

TEST(Headroom, FailureWhenNeedExceedsFreeArrays) {
    HeadroomInput in = input(limits(250, 32000, 32, 16), 15, 15, 3);
    in.held_by_own_stale_sets = 4;
    const HeadroomVerdict v = assess_headroom(in);
    EXPECT_EQ(v.state, HeadroomState::Critical);
    ASSERT_EQ(v.failure.size(), 3u);
    EXPECT_TRUE(contains(v.failure[0], "arrays (SEMMNI)")) << v.failure[0];
    EXPECT_TRUE(contains(v.failure[0], "ENOSPC")) << v.failure[0];
    EXPECT_TRUE(contains(v.failure[0], "AH00023")) << v.failure[0];
    EXPECT_EQ(v.failure[1],
              "limit 16, in use 15, free 1, needed 3; 4 of those in use are held by sets this "
              "server left behind");
    EXPECT_TRUE(starts_with(v.failure[2], "hint: this is not about disk space")) << v.failure[2];
    EXPECT_TRUE(contains(v.failure[2], "sysctl -w kernel.sem=\"250 32000 32 128\""))
        << v.failure[2];
    EXPECT_TRUE(contains(v.failure[2], "ipcs -s")) << v.failure[2];
    EXPECT_TRUE(contains(v.failure[2], "`Mutex pthread default`")) << v.failure[2];
    EXPECT_TRUE(contains(v.failure[2], "`Mutex fcntl default`")) << v.failure[2];
    EXPECT_EQ(v.warning, "") << "a failure is not also a warning";
}

TEST(Headroom, FailureWithNoFreeArrayAtAllAndOverfullUse) {
    // Use above the limit (a limit lowered under existing sets): free is 0, not negative.
    const HeadroomVerdict v = assess_headroom(input(limits(250, 32000, 32, 16), 20, 20, 1));
    ASSERT_EQ(v.failure.size(), 3u);
    EXPECT_EQ(v.failure[1],
              "limit 16, in use 20, free 0, needed 1; 0 of those in use are held by sets this "
              "server left behind");
}

TEST(Headroom, NeedExactlyEqualToFreeFits) {
    const HeadroomVerdict v = assess_headroom(input(limits(250, 32000, 32, 16), 13, 13, 3));
    EXPECT_TRUE(v.failure.empty());
    EXPECT_EQ(v.state, HeadroomState::Warn);  // 100%
}

TEST(Headroom, FailureOnSemmnsExhaustion) {
    HeadroomInput in = input(limits(250, 20, 32, 32000), 19, 19, 3);
    const HeadroomVerdict v = assess_headroom(in);
    EXPECT_EQ(v.state, HeadroomState::Critical);
    ASSERT_EQ(v.failure.size(), 3u);
    EXPECT_TRUE(contains(v.failure[0], "semaphores (SEMMNS)")) << v.failure[0];
    EXPECT_FALSE(contains(v.failure[0], "SEMMNI")) << v.failure[0];
    EXPECT_TRUE(starts_with(v.failure[1], "limit 20, in use 19, free 1, needed 3; "))
        << v.failure[1];
    EXPECT_TRUE(starts_with(v.failure[2], "hint: this is not about disk space"));
    // SEMMNS raised to hold twice what is needed, in steps of 128; SEMMNI already roomy.
    EXPECT_EQ(v.sysctl_line, "sysctl -w kernel.sem=\"250 128 32 32000\"");
}

TEST(Headroom, FailureWithoutAlternativesSuggestsNone) {
    HeadroomInput in = input(limits(250, 32000, 32, 16), 16, 16, 1);
    in.alternatives.clear();
    const HeadroomVerdict v = assess_headroom(in);
    ASSERT_EQ(v.failure.size(), 3u);
    EXPECT_FALSE(contains(v.failure[2], "Mutex ")) << v.failure[2];
}

TEST(Headroom, NoNeedNeverFails) {
    const HeadroomVerdict v = assess_headroom(input(limits(250, 32000, 32, 16), 16, 16, 0));
    EXPECT_TRUE(v.failure.empty());
    EXPECT_EQ(v.state, HeadroomState::Warn) << "16 of 16 in use is still worth a warning";
}

TEST(Headroom, UndoStructuresWhereTheOsBoundsThem) {
    SemLimits l = limits(250, 32000, 32, 128);
    l.undo_enforced = true;
    l.semmnu = 30;
    l.semume = 10;
    HeadroomInput in = input(l, 5, 5, 3);
    in.max_processes = 20;
    HeadroomVerdict v = assess_headroom(in);
    EXPECT_EQ(v.state, HeadroomState::Ok);
    EXPECT_TRUE(contains(v.summary,
                         "undo structures: up to 20 of 30 (SEMMNU), 3 entries per "
                         "process of 10 (SEMUME)"))
        << v.summary;
    EXPECT_FALSE(contains(v.summary, "not limited"));

    in.max_processes = 31;
    v = assess_headroom(in);
    EXPECT_EQ(v.state, HeadroomState::Warn);
    EXPECT_TRUE(contains(v.warning, "undo structures are short")) << v.warning;
    EXPECT_TRUE(v.failure.empty());
}

// ---- sysctl_line_for ----------------------------------------------------------

TEST(SysctlLine, KeepsMslAndOpmAndRaisesTheTotals) {
    const SemLimits l = limits(250, 32000, 32, 128);
    // Needs that fit in half of the limits change nothing.
    EXPECT_EQ(sysctl_line_for(l, 10, 10), "sysctl -w kernel.sem=\"250 32000 32 128\"");
    EXPECT_EQ(sysctl_line_for(l, 64, 16000), "sysctl -w kernel.sem=\"250 32000 32 128\"");
    // 100 arrays need 200, rounded up to 256; 20000 semaphores need 40000 -> 40064.
    EXPECT_EQ(sysctl_line_for(l, 100, 20000), "sysctl -w kernel.sem=\"250 40064 32 256\"");
    // Exactly on a step.
    EXPECT_EQ(sysctl_line_for(l, 128, 16001), "sysctl -w kernel.sem=\"250 32128 32 256\"");
    EXPECT_EQ(sysctl_line_for(l, 65, 10), "sysctl -w kernel.sem=\"250 32000 32 256\"");
}

TEST(SysctlLine, NeverLowersALimit) {
    const SemLimits l = limits(32000, 1024000000, 500, 32000);
    EXPECT_EQ(sysctl_line_for(l, 3, 3), "sysctl -w kernel.sem=\"32000 1024000000 500 32000\"");
    // A current limit off the 128 grid goes up to the next step, never down.
    const SemLimits odd = limits(250, 1000, 32, 100);
    EXPECT_EQ(sysctl_line_for(odd, 10, 10), "sysctl -w kernel.sem=\"250 1024 32 128\"");
    EXPECT_EQ(sysctl_line_for(odd, 70, 10), "sysctl -w kernel.sem=\"250 1024 32 256\"");
}

TEST(DescribeMechanisms, GroupsTypesByMechanism) {
    std::vector<MutexConfig> m{{"default", "sysvsem", "sysvsem", ""},
                               sysv("mpm-accept"),
                               {"proxy", "pthread", "pthread", ""},
                               sysv("ssl-cache")};
    EXPECT_EQ(describe_mechanisms(m), "pthread (proxy); sysvsem (mpm-accept, ssl-cache)");
    EXPECT_EQ(describe_mechanisms({}), "no mutexes registered");
}

}  // namespace
}  // namespace semguard
