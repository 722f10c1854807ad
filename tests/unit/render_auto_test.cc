#include "status/render_auto.h"

#include <gtest/gtest.h>

#include <cerrno>

#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/sys_result.h"
#include "status_model_samples.h"
#include "text/utf8_sanitize.h"

namespace semguard {
namespace {

using test::kHostileText;
using test::no_sysv_status_model;
using test::rich_status_model;
using test::status_model_with_all_strings;

std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> lines;
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

void expect_auto_format(const std::string& text) {
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    EXPECT_EQ(sanitize_utf8(text), text);
    static const std::regex line_format("^[A-Za-z0-9_-]+: .*$");
    for (const std::string& line : lines_of(text)) {
        EXPECT_TRUE(std::regex_match(line, line_format)) << "bad line: " << line;
        for (unsigned char c : line) EXPECT_GE(c, 0x20) << "control character in: " << line;
    }
}

bool has_line(const std::string& text, const std::string& line) {
    for (const std::string& l : lines_of(text))
        if (l == line) return true;
    return false;
}

TEST(RenderAuto, EveryLineIsKeyColonValue) {
    expect_auto_format(render_auto(rich_status_model(), RenderOptions{}));
    expect_auto_format(render_auto(no_sysv_status_model(), RenderOptions{}));
    expect_auto_format(render_auto(StatusModel{}, RenderOptions{}));
    StatusModel hostile = status_model_with_all_strings(kHostileText);
    expect_auto_format(render_auto(hostile, RenderOptions{}));
    hostile.kernel_ok = false;
    expect_auto_format(render_auto(hostile, RenderOptions{}));
}

TEST(RenderAuto, ServerAndKernel) {
    const std::string text = render_auto(rich_status_model(), RenderOptions{});
    for (const char* line : {"ServerName: www.example.org",
                             "ServerVersion: Apache/2.4.62 (Debian)",
                             "ServerMPM: prefork",
                             "ServerRoot: /etc/apache2",
                             "ConfigFile: /etc/apache2/apache2.conf",
                             "Generation: 3",
                             "ParentPid: 4242",
                             "CurrentTime: 1714564800",
                             "Uptime: 93784",
                             "SEMMNI: 128",
                             "SEMMNIUsed: 109",
                             "SEMMNIFree: 19",
                             "SEMMNS: 1024000000",
                             "SEMMNSUsed: 112",
                             "SEMMSL: 32000",
                             "SEMOPM: 500",
                             "SEMVMX: 32767",
                             "ProjectedArrays: 4",
                             "ProjectedSemaphores: 5",
                             "WarnAtPercent: 80",
                             "Headroom: warn"})
        EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
    EXPECT_EQ(text.rfind("ServerName: ", 0), 0u);
}

TEST(RenderAuto, MutexesAndSets) {
    const std::string text = render_auto(rich_status_model(), RenderOptions{});
    for (const char* line :
         {"Mutexes: 6", "Mutex-mpm-accept: sysvsem", "Mutex-authdigest-client: fcntl",
          "Mutex-proxy-balancer-shm: pthread", "SysVInUse: yes", "Protection: on", "Sets: 7",
          "SetsMissing: 2",
          "Set-98304: type=mpm-accept present=yes owner=www-data group=www-data mode=0600 "
          "nsems=1 value=held waiting=3 lastpid=4301 otime=1714564797 protected=no",
          "Set-98307: type=unknown present=yes owner=www-data group=www-data mode=0600 nsems=2 "
          "value=free,held waiting=0,1 lastpid=4303,777 otime=1714564797 protected=no",
          "Set-98308: type=rewrite-map present=no reason=missing",
          "Set-98309: type=ssl-cache present=no reason=replaced",
          "SetError-98310: (13)Permission denied: semctl(GETALL, 98310)"})
        EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
}

TEST(RenderAuto, Startup) {
    const std::string text = render_auto(rich_status_model(), RenderOptions{});
    for (const char* line :
         {"ReclaimMode: on", "Reclaimed: 3", "WouldReclaim: 0", "Kept: 1", "ReclaimedTotal: 3",
          "KeptTotal: 1", "LookalikeSets: 2", "Lookalikes: 32768,32769"})
        EXPECT_TRUE(has_line(text, line)) << line << "\n" << text;
    EXPECT_NE(text.find("\nPostMortem: parent 4100 was killed"), std::string::npos);
}

TEST(RenderAuto, NoSysv) {
    const std::string text = render_auto(no_sysv_status_model(), RenderOptions{});
    EXPECT_TRUE(has_line(text, "SysVInUse: no"));
    EXPECT_TRUE(has_line(text, "Sets: 0"));
    EXPECT_TRUE(has_line(text, "Headroom: ok"));
    EXPECT_EQ(text.find("Set-"), std::string::npos);
    EXPECT_EQ(text.find("HeadroomAdvice"), std::string::npos);
}

TEST(RenderAuto, UnreadableKernelReportsTheErrorNotZeros) {
    StatusModel m = rich_status_model();
    m.kernel_ok = false;
    m.kernel_error = SysError{EPERM, "semctl(IPC_INFO)"}.describe();
    const std::string text = render_auto(m, RenderOptions{});
    EXPECT_TRUE(has_line(text, "KernelError: (1)Operation not permitted: semctl(IPC_INFO)"));
    EXPECT_EQ(text.find("\nSEMMNI"), std::string::npos);
    EXPECT_EQ(text.find("\nSEMMNS"), std::string::npos);
}

TEST(RenderAuto, HostileValuesCannotForgeLines) {
    StatusModel m = rich_status_model();
    m.server_name = "evil\nHeadroom: ok\r\nSets: 0";
    m.mutexes[0].type = "<bad type>\nX";
    m.sets[0].type = "a b=c";
    const std::string text = render_auto(m, RenderOptions{});
    expect_auto_format(text);
    EXPECT_TRUE(has_line(text, "ServerName: evil Headroom: ok  Sets: 0"));
    EXPECT_FALSE(has_line(text, "Headroom: ok"));
    EXPECT_TRUE(has_line(text, "Mutex-_bad_type__X: sysvsem"));
    EXPECT_NE(text.find("Set-98304: type=a_b_c present=yes"), std::string::npos);
}

}  // namespace
}  // namespace semguard
