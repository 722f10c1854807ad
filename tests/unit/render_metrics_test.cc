#include "status/render_metrics.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "status_model_samples.h"
#include "text/utf8_sanitize.h"

namespace semguard {
namespace {

using test::kHostileText;
using test::no_sysv_status_model;
using test::rich_status_model;
using test::status_model_with_all_strings;

constexpr const char* kPromtool = "/usr/bin/promtool";

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

struct CommandResult {
    int exit_code = -1;
    std::string output;
};

// `promtool check metrics` reads the exposition on stdin and lints it: format
// errors and lint problems (missing HELP, counters without _total, ...) both fail.
CommandResult promtool_check(const std::string& exposition) {
    char path[] = "/tmp/semguard_metrics_XXXXXX";
    const int fd = mkstemp(path);
    if (fd < 0) return {};
    const bool written =
        write(fd, exposition.data(), exposition.size()) == static_cast<ssize_t>(exposition.size());
    close(fd);
    CommandResult result;
    if (written) {
        const std::string command = std::string(kPromtool) + " check metrics < " + path + " 2>&1";
        if (FILE* pipe = popen(command.c_str(), "r")) {
            char buf[4096];
            for (std::size_t n; (n = fread(buf, 1, sizeof buf, pipe)) > 0;)
                result.output.append(buf, n);
            const int status = pclose(pipe);
            result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
    }
    unlink(path);
    return result;
}

void expect_promtool_accepts(const std::string& exposition) {
    // CI installs the Debian package "prometheus"; a missing promtool must not pass silently.
    ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " is missing: apt-get install prometheus";
    const CommandResult r = promtool_check(exposition);
    EXPECT_EQ(r.exit_code, 0) << r.output << "\n--- exposition ---\n" << exposition;
    EXPECT_EQ(r.output, "") << r.output;
}

// The exposition's own rules, checked without promtool: HELP and TYPE before a
// family's samples, families contiguous, no series twice, well-formed sample lines.
void expect_well_formed(const std::string& text) {
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(sanitize_utf8(text), text);
    static const std::regex help("^# HELP (semguard_[a-z_]+) .+$");
    static const std::regex type("^# TYPE (semguard_[a-z_]+) (gauge|counter)$");
    static const std::regex sample(
        "^(semguard_[a-z_]+)(\\{([a-z_]+=\"([^\"\\\\\\n]|\\\\[\"\\\\n])*\",?)+\\})? -?[0-9]+$");
    std::set<std::string> finished, series;
    std::string current, helped, typed;
    for (const std::string& line : lines_of(text)) {
        std::smatch m;
        if (std::regex_match(line, m, help)) {
            EXPECT_EQ(finished.count(m[1]), 0u) << "family repeated: " << line;
            if (!current.empty()) finished.insert(current);
            current = helped = m[1];
        } else if (std::regex_match(line, m, type)) {
            EXPECT_EQ(m[1], helped) << "TYPE without HELP: " << line;
            typed = m[1];
        } else if (std::regex_match(line, m, sample)) {
            EXPECT_EQ(m[1], current) << "sample outside its family: " << line;
            EXPECT_EQ(m[1], typed) << "sample before TYPE: " << line;
            const std::string name_and_labels = line.substr(0, line.rfind(' '));
            EXPECT_TRUE(series.insert(name_and_labels).second) << "duplicate series: " << line;
        } else {
            ADD_FAILURE() << "malformed line: " << line;
        }
    }
}

TEST(RenderMetrics, PromtoolAcceptsEveryModel) {
    expect_promtool_accepts(render_metrics(rich_status_model(), RenderOptions{}));
    expect_promtool_accepts(render_metrics(no_sysv_status_model(), RenderOptions{}));
    expect_promtool_accepts(render_metrics(StatusModel{}, RenderOptions{}));
    StatusModel hostile = status_model_with_all_strings(kHostileText);
    expect_promtool_accepts(render_metrics(hostile, RenderOptions{}));
    hostile.kernel_ok = false;
    expect_promtool_accepts(render_metrics(hostile, RenderOptions{}));
}

TEST(RenderMetrics, WellFormed) {
    expect_well_formed(render_metrics(rich_status_model(), RenderOptions{}));
    expect_well_formed(render_metrics(no_sysv_status_model(), RenderOptions{}));
    expect_well_formed(
        render_metrics(status_model_with_all_strings(kHostileText), RenderOptions{}));
}

TEST(RenderMetrics, Values) {
    const std::string text = render_metrics(rich_status_model(), RenderOptions{});
    const std::set<std::string> lines = [&] {
        const auto v = lines_of(text);
        return std::set<std::string>(v.begin(), v.end());
    }();
    for (const char* line :
         {"semguard_up 1",
          "semguard_info{server_name=\"www.example.org\",version=\"Apache/2.4.62 "
          "(Debian)\",mpm=\"prefork\"} 1",
          "semguard_generation 3",
          "semguard_start_time_seconds 1714471016",
          "semguard_kernel_arrays_limit 128",
          "semguard_kernel_arrays_used 109",
          "semguard_kernel_semaphores_limit 1024000000",
          "semguard_kernel_semaphores_used 112",
          "semguard_kernel_semaphores_per_array_limit 32000",
          "semguard_kernel_semop_operations_limit 500",
          "semguard_kernel_semaphore_value_limit 32767",
          "semguard_projected_arrays 4",
          "semguard_projected_semaphores 5",
          "semguard_headroom_warn_percent 80",
          "semguard_headroom_state{state=\"ok\"} 0",
          "semguard_headroom_state{state=\"warn\"} 1",
          "semguard_headroom_state{state=\"critical\"} 0",
          "semguard_headroom_state{state=\"unknown\"} 0",
          "semguard_mutex_info{type=\"mpm-accept\",mechanism=\"sysvsem\"} 1",
          "semguard_mutex_info{type=\"authdigest-client\",mechanism=\"fcntl\"} 1",
          "semguard_protection_enabled 1",
          "semguard_set_present{semid=\"98304\",type=\"mpm-accept\"} 1",
          "semguard_set_present{semid=\"98308\",type=\"rewrite-map\"} 0",
          "semguard_set_present{semid=\"98309\",type=\"ssl-cache\"} 0",
          "semguard_set_protected{semid=\"98305\",type=\"ssl-cache\"} 1",
          "semguard_set_last_operation_timestamp_seconds{semid=\"98304\",type=\"mpm-accept\"} "
          "1714564797",
          "semguard_set_value{semid=\"98304\",type=\"mpm-accept\",sem=\"0\"} 0",
          "semguard_set_waiters{semid=\"98304\",type=\"mpm-accept\",sem=\"0\"} 3",
          "semguard_set_value{semid=\"98307\",type=\"unknown\",sem=\"1\"} 0",
          "semguard_set_waiters{semid=\"98307\",type=\"unknown\",sem=\"1\"} 1",
          "semguard_startup_reclaimed_sets 3",
          "semguard_startup_kept_sets 1",
          "semguard_reclaimed_sets_total 3",
          "semguard_kept_sets_total 1",
          "semguard_lookalike_sets 2",
          "# TYPE semguard_reclaimed_sets_total counter",
          "# TYPE semguard_kept_sets_total counter",
          "# TYPE semguard_set_value gauge"})
        EXPECT_EQ(lines.count(line), 1u) << line << "\n" << text;
    // Missing, replaced and never-used sets have no value or timestamp to report.
    EXPECT_FALSE(contains(text, "semguard_set_value{semid=\"98308\""));
    EXPECT_FALSE(contains(text, "semguard_set_last_operation_timestamp_seconds{semid=\"98306\""));
}

TEST(RenderMetrics, UnreadableKernelOmitsLimitsInsteadOfReportingZeros) {
    StatusModel m = rich_status_model();
    m.kernel_ok = false;
    const std::string text = render_metrics(m, RenderOptions{});
    EXPECT_TRUE(contains(text, "# TYPE semguard_up gauge\nsemguard_up 0\n"));
    EXPECT_FALSE(contains(text, "semguard_kernel_arrays_limit"));
    EXPECT_TRUE(contains(text, "semguard_projected_arrays 4"));
}

TEST(RenderMetrics, LabelValuesAreEscaped) {
    StatusModel m = rich_status_model();
    m.server_name = "a\"b\\c\nd\xff";
    const std::string text = render_metrics(m, RenderOptions{});
    EXPECT_TRUE(contains(text, "server_name=\"a\\\"b\\\\c\\nd\xEF\xBF\xBD\""));
    expect_well_formed(text);
}

TEST(RenderMetrics, NoDuplicateSeriesFromADuplicatedSet) {
    StatusModel m = rich_status_model();
    m.sets.push_back(m.sets[0]);
    m.mutexes.push_back(m.mutexes[0]);
    const std::string text = render_metrics(m, RenderOptions{});
    expect_well_formed(text);
    std::size_t n = 0;
    for (const std::string& line : lines_of(text))
        n += line.rfind("semguard_set_present{semid=\"98304\"", 0) == 0 ? 1 : 0;
    EXPECT_EQ(n, 1u);
    expect_promtool_accepts(text);
}

}  // namespace
}  // namespace semguard
