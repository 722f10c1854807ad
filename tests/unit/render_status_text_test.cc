// Values put into words the same way by every renderer.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

#include "status/status_text.h"

namespace semguard {
namespace {

TEST(StatusText, DurationLikeModStatus) {
    EXPECT_EQ(format_duration(93784), "1 day 2 hours 3 minutes 4 seconds");
    EXPECT_EQ(format_duration(0), "0 seconds");
    EXPECT_EQ(format_duration(1), "1 second");
    EXPECT_EQ(format_duration(3600), "1 hour");
    EXPECT_EQ(format_duration(2 * 86400 + 1), "2 days 1 second");
    EXPECT_EQ(format_duration(61), "1 minute 1 second");
    EXPECT_EQ(format_duration(-1), "unknown");
}

TEST(StatusText, UtcTimes) {
    EXPECT_EQ(format_utc_time(0), "1970-01-01 00:00:00 UTC");
    EXPECT_EQ(format_utc_time(1714564800), "2024-05-01 12:00:00 UTC");
    EXPECT_EQ(format_utc_time(951782400), "2000-02-29 00:00:00 UTC");
    EXPECT_EQ(format_utc_time(1709251199), "2024-02-29 23:59:59 UTC");
    EXPECT_EQ(format_utc_time(253402300799), "9999-12-31 23:59:59 UTC");
}

TEST(StatusText, OutOfRangeTimesAreNotDates) {
    EXPECT_EQ(format_utc_time(253402300800), "@253402300800");
    EXPECT_EQ(format_utc_time(-1), "@-1");
    EXPECT_EQ(format_utc_time(std::numeric_limits<int64_t>::min()), "@-9223372036854775808");
    EXPECT_EQ(format_utc_time(std::numeric_limits<int64_t>::max()), "@9223372036854775807");
}

TEST(StatusText, SemaphoreTimes) {
    EXPECT_EQ(format_sem_time(0), "never");
    EXPECT_EQ(format_sem_time(60), "1970-01-01 00:01:00");
    EXPECT_EQ(format_sem_time(-5), "@-5");
}

TEST(StatusText, ModeAndStates) {
    EXPECT_EQ(format_mode_octal(0600), "0600");
    EXPECT_EQ(format_mode_octal(0660), "0660");
    EXPECT_EQ(format_mode_octal(0100600), "0600");
    EXPECT_EQ(semaphore_state_word(1), "free");
    EXPECT_EQ(semaphore_state_word(0), "held");
    EXPECT_EQ(semaphore_state_word(5), "value 5");
    EXPECT_STREQ(semaphore_state_key(-2), "other");
}

TEST(StatusText, LastPidNotes) {
    SemaphoreView s;
    EXPECT_STREQ(last_pid_note(s), "");
    s.last_pid = 10;
    EXPECT_STREQ(last_pid_note(s), "(gone)");
    s.last_pid_alive = true;
    EXPECT_STREQ(last_pid_note(s), "(alive, not ours)");
    s.last_pid_ours = true;
    EXPECT_STREQ(last_pid_note(s), "(alive, ours)");
}

TEST(StatusText, FixedDecimalsIgnoreTheLocale) {
    EXPECT_EQ(format_fixed(85.15625, 1), "85.2");
    EXPECT_EQ(format_fixed(0.004, 2), "0.00");
    EXPECT_EQ(format_fixed(0.006, 2), "0.01");
    EXPECT_EQ(format_fixed(100, 1), "100.0");
    EXPECT_EQ(format_fixed(-1.25, 2), "-1.25");
    EXPECT_EQ(format_fixed(7.0, 0), "7");
    EXPECT_EQ(format_fixed(std::nan(""), 1), "0.0");
    EXPECT_EQ(format_fixed(1e300, 1), "9000000000000.0");
}

TEST(StatusText, UsageArithmetic) {
    EXPECT_LT(usage_percent(1, 0), 0);
    EXPECT_DOUBLE_EQ(usage_percent(32, 128), 25.0);
    EXPECT_DOUBLE_EQ(usage_percent(-3, 128), 0.0);
    EXPECT_EQ(free_of(109, 128), 19);
    EXPECT_EQ(free_of(130, 128), 0);
    EXPECT_EQ(free_of(-5, 128), 128);
}

TEST(StatusText, MechanismsInUseAreDistinctInOrder) {
    StatusModel m;
    for (const char* mech : {"pthread", "fcntl", "pthread", "", "fcntl"}) {
        MutexView x;
        x.mechanism = mech;
        m.mutexes.push_back(x);
    }
    EXPECT_EQ(mechanisms_in_use(m), "pthread, fcntl");
    EXPECT_FALSE(uses_sysv(m));
    m.mutexes[1].sysv = true;
    EXPECT_TRUE(uses_sysv(m));
}

TEST(StatusText, NowComesFromTheRequestWhenGiven) {
    StatusModel m;
    m.now = 100;
    EXPECT_EQ(effective_now(m, 0), 100);
    EXPECT_EQ(effective_now(m, 200), 200);
}

}  // namespace
}  // namespace semguard
