#include "status/status_text.h"

#include <cinttypes>
#include <cmath>
#include <cstdio>
#include <vector>

#include "text/codec.h"

namespace semguard {

namespace {

void append_unit(std::string& out, int64_t count, const char* unit) {
    if (count == 0) return;
    if (!out.empty()) out += ' ';
    out += std::to_string(count);
    out += ' ';
    out += unit;
    if (count != 1) out += 's';
}

struct CivilDate {
    int64_t year;
    unsigned month;  // 1..12
    unsigned day;    // 1..31
};

// Days since 1970-01-01 to a proleptic Gregorian date (H. Hinnant's algorithm),
// so the page never depends on gmtime_r's range or the process's time zone.
CivilDate civil_from_days(int64_t days) {
    days += 719468;
    const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const int64_t day_of_era = days - era * 146097;
    const int64_t year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const int64_t day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const int64_t mp = (5 * day_of_year + 2) / 153;
    const unsigned day = static_cast<unsigned>(day_of_year - (153 * mp + 2) / 5 + 1);
    const unsigned month = static_cast<unsigned>(mp < 10 ? mp + 3 : mp - 9);
    const int64_t year = year_of_era + era * 400 + (month <= 2 ? 1 : 0);
    return {year, month, day};
}

}  // namespace

std::string format_duration(int64_t seconds) {
    if (seconds < 0) return "unknown";
    if (seconds == 0) return "0 seconds";
    std::string out;
    append_unit(out, seconds / 86400, "day");
    append_unit(out, seconds / 3600 % 24, "hour");
    append_unit(out, seconds / 60 % 60, "minute");
    append_unit(out, seconds % 60, "second");
    return out;
}

std::string format_utc_time(int64_t t) {
    constexpr int64_t kLastSecondOf9999 = 253402300799;
    char buf[48];
    if (t < 0 || t > kLastSecondOf9999) {
        std::snprintf(buf, sizeof buf, "@%" PRId64, t);
        return buf;
    }
    const CivilDate date = civil_from_days(t / 86400);
    const int64_t second_of_day = t % 86400;
    std::snprintf(buf, sizeof buf, "%04" PRId64 "-%02u-%02u %02d:%02d:%02d UTC", date.year,
                  date.month, date.day, static_cast<int>(second_of_day / 3600),
                  static_cast<int>(second_of_day / 60 % 60), static_cast<int>(second_of_day % 60));
    return buf;
}

std::string format_sem_time(int64_t t) {
    if (t == 0) return "never";
    std::string text = format_utc_time(t);
    const std::string zone = " UTC";
    if (text.size() > zone.size() &&
        text.compare(text.size() - zone.size(), zone.size(), zone) == 0)
        text.resize(text.size() - zone.size());
    return text;
}

std::string format_mode_octal(unsigned mode) { return octal_mode(mode & 07777u); }

std::string semaphore_state_word(int value) {
    if (value == 1) return "free";
    if (value == 0) return "held";
    return "value " + std::to_string(value);
}

const char* semaphore_state_key(int value) {
    if (value == 1) return "free";
    if (value == 0) return "held";
    return "other";
}

const char* last_pid_note(const SemaphoreView& sem) {
    if (sem.last_pid <= 0) return "";
    if (!sem.last_pid_alive) return "(gone)";
    return sem.last_pid_ours ? "(alive, ours)" : "(alive, not ours)";
}

double usage_percent(long used, long limit) {
    if (limit <= 0) return -1.0;
    if (used <= 0) return 0.0;
    return static_cast<double>(used) * 100.0 / static_cast<double>(limit);
}

long free_of(long used, long limit) {
    if (used < 0) used = 0;
    return limit > used ? limit - used : 0;
}

int64_t effective_now(const StatusModel& model, int64_t requested_now) {
    return requested_now != 0 ? requested_now : model.now;
}

bool uses_sysv(const StatusModel& model) {
    for (const MutexView& m : model.mutexes)
        if (m.sysv) return true;
    return false;
}

std::string mechanisms_in_use(const StatusModel& model) {
    std::vector<const std::string*> seen;
    std::string out;
    for (const MutexView& m : model.mutexes) {
        bool known = false;
        for (const std::string* s : seen) known = known || *s == m.mechanism;
        if (known || m.mechanism.empty()) continue;
        seen.push_back(&m.mechanism);
        if (!out.empty()) out += ", ";
        out += m.mechanism;
    }
    return out;
}

std::string set_origin_text(const SetView& s) {
    if (!s.type.empty()) return s.type;
    if (!s.module.empty()) return s.module + ", outside httpd's Mutex table";
    return "";
}

}  // namespace semguard
