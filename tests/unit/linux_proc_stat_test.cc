// parse_proc_stat: the comm field is chosen by the process itself, so nothing
// it contains may shift the fields that follow.
#include <gtest/gtest.h>

#include <string>

#include "kernel/linux_kernel.h"

namespace semguard {
namespace {

// Fields 4..21 as a real line has them, then starttime (22) and a few more.
std::string stat_line(const std::string& comm, char state, const std::string& start) {
    return "4242 (" + comm + ") " + state +
           " 1 4242 4242 0 -1 4194560 1234 0 0 0 12 3 0 0 20 0 1 0 " + start +
           " 9371648 1024 18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 17 1 0 0 0 0 0\n";
}

TEST(ParseProcStat, ReadsStateAndStartTicks) {
    std::optional<ProcessInfo> info = parse_proc_stat(stat_line("httpd", 'S', "98765"));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->state, ProcessState::Running);
    EXPECT_EQ(info->start_ticks, 98765u);
}

TEST(ParseProcStat, CommWithSpacesAndParenthesesDoesNotShiftFields) {
    std::optional<ProcessInfo> info = parse_proc_stat(stat_line("a) Z 1 (b) ) x", 'R', "555"));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->state, ProcessState::Running);
    EXPECT_EQ(info->start_ticks, 555u);
}

TEST(ParseProcStat, ZombiesAndDeadTasksAreZombies) {
    EXPECT_EQ(parse_proc_stat(stat_line("httpd", 'Z', "1"))->state, ProcessState::Zombie);
    EXPECT_EQ(parse_proc_stat(stat_line("httpd", 'X', "1"))->state, ProcessState::Zombie);
    EXPECT_EQ(parse_proc_stat(stat_line("httpd", 'D', "1"))->state, ProcessState::Running);
    EXPECT_EQ(parse_proc_stat(stat_line("httpd", 'T', "1"))->state, ProcessState::Running);
}

TEST(ParseProcStat, StartTicksUseAll64Bits) {
    std::optional<ProcessInfo> info = parse_proc_stat(stat_line("x", 'S', "18446744073709551615"));
    ASSERT_TRUE(info.has_value());
    EXPECT_EQ(info->start_ticks, 18446744073709551615ull);
}

TEST(ParseProcStat, RejectsWhatIsNotAStatLine) {
    EXPECT_FALSE(parse_proc_stat("").has_value());
    EXPECT_FALSE(parse_proc_stat("4242 httpd S 1").has_value());
    EXPECT_FALSE(parse_proc_stat("4242 (httpd) S 1 2 3").has_value());  // cut short
    EXPECT_FALSE(parse_proc_stat(stat_line("x", 'S', "12a")).has_value());
    EXPECT_FALSE(parse_proc_stat(stat_line("x", 'S', "99999999999999999999999")).has_value());
    EXPECT_FALSE(parse_proc_stat("4242 x) S" + stat_line("", 'S', "1").substr(9)).has_value());
}

}  // namespace
}  // namespace semguard
