#include "status/render_html.h"

#include <gtest/gtest.h>

#include <cerrno>

#include <string>

#include "kernel/sys_result.h"
#include "status_model_samples.h"
#include "text/utf8_sanitize.h"

namespace semguard {
namespace {

using test::kHostileText;
using test::no_sysv_status_model;
using test::rich_status_model;
using test::status_model_with_all_strings;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
    std::size_t n = 0;
    for (std::size_t at = haystack.find(needle); at != std::string::npos;
         at = haystack.find(needle, at + needle.size()))
        ++n;
    return n;
}

// Cheap structural check: every container element this renderer opens is closed.
void expect_balanced(const std::string& html) {
    for (const char* tag : {"table", "tr", "dl", "div", "pre", "p", "footer", "h1", "h2", "h3",
                            "head", "body", "html"}) {
        const std::string name(tag);
        EXPECT_EQ(count(html, "<" + name + ">") + count(html, "<" + name + " "),
                  count(html, "</" + name + ">"))
            << "<" << name << "> not balanced";
    }
}

TEST(RenderHtml, IsOneSelfContainedDocument) {
    const std::string html = render_html(rich_status_model(), RenderOptions{});
    ASSERT_FALSE(html.empty());
    EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
    EXPECT_TRUE(contains(html, "<meta charset=\"utf-8\">"));
    EXPECT_TRUE(
        contains(html, "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"));
    EXPECT_TRUE(contains(html, "</html>\n"));
    // No scripts, no external resources: nothing to load, nothing to block.
    EXPECT_FALSE(contains(html, "<script"));
    EXPECT_FALSE(contains(html, "src="));
    EXPECT_FALSE(contains(html, "http://"));
    EXPECT_FALSE(contains(html, "https://"));
    EXPECT_FALSE(contains(html, "rel=\"stylesheet\""));
    EXPECT_TRUE(contains(html, "<style>"));
    expect_balanced(html);
}

TEST(RenderHtml, ServerSection) {
    const std::string html = render_html(rich_status_model(), RenderOptions{});
    EXPECT_TRUE(contains(html, "<h1>Apache Semaphore Guard Status for www.example.org</h1>"));
    EXPECT_TRUE(contains(html, "<dd>Apache/2.4.62 (Debian)</dd>"));
    EXPECT_TRUE(contains(html, "<dd>prefork</dd>"));
    EXPECT_TRUE(contains(html, "<dd>/etc/apache2</dd>"));
    EXPECT_TRUE(contains(html, "<dd>/etc/apache2/apache2.conf</dd>"));
    EXPECT_TRUE(contains(html, "<dt>Parent Server Generation</dt><dd>3</dd>"));
    EXPECT_TRUE(contains(html, "<dt>Parent Process</dt><dd>4242</dd>"));
    EXPECT_TRUE(contains(html, "<dd>1 day 2 hours 3 minutes 4 seconds</dd>"));
    EXPECT_TRUE(contains(html, "<dd>2024-05-01 12:00:00 UTC</dd>"));
}

TEST(RenderHtml, NowFromTheRequestMovesTheUptime) {
    RenderOptions options;
    options.now = rich_status_model().now + 56;
    const std::string html = render_html(rich_status_model(), options);
    EXPECT_TRUE(contains(html, "<dd>1 day 2 hours 4 minutes</dd>"));
}

TEST(RenderHtml, KernelLimitsWithUsageBars) {
    const std::string html = render_html(rich_status_model(), RenderOptions{});
    // SEMMNI: 109 used, 19 free of 128 = 85.2 %, above the 80 % warning threshold.
    EXPECT_TRUE(
        contains(html,
                 "<tr><td><code>SEMMNI</code> <span class=\"muted\">semaphore sets</span></td>"
                 "<td><span class=\"bar\" role=\"img\" aria-label=\"85.2% used\">"
                 "<span class=\"fill-warn\" style=\"width:85.2%\"></span></span>85.2%</td>"
                 "<td class=\"num\">109</td><td class=\"num\">19</td>"
                 "<td class=\"num\">128</td></tr>"));
    EXPECT_TRUE(contains(html, "<code>SEMMNS</code>"));
    EXPECT_TRUE(contains(html, "class=\"fill-ok\" style=\"width:0.0%\""));
    EXPECT_TRUE(contains(html, "32000 semaphores per set"));
    EXPECT_TRUE(contains(html, "500 operations per semop call"));
    EXPECT_TRUE(contains(html, "32767 highest semaphore value"));
    EXPECT_TRUE(contains(html, "not limited on Linux (allocated on demand)"));
    EXPECT_TRUE(contains(html, "4 sets with 5 semaphores for each generation"));
    EXPECT_TRUE(contains(html,
                         "<div class=\"banner banner-warn\"><strong>Headroom:</strong> "
                         "<span class=\"state state-warn\">warn</span> 109 of 128"));
    EXPECT_TRUE(contains(html, "109 of 128 semaphore sets (SEMMNI) are in use"));
}

TEST(RenderHtml, UnreadableKernelSaysSoInsteadOfZeros) {
    StatusModel m = rich_status_model();
    m.kernel_ok = false;
    m.kernel_error = SysError{EPERM, "semctl(IPC_INFO)"}.describe();
    const std::string html = render_html(m, RenderOptions{});
    EXPECT_TRUE(contains(html, "could not be read: (1)Operation not permitted: semctl(IPC_INFO)"));
    EXPECT_FALSE(contains(html, "<code>SEMMNI</code>"));
    expect_balanced(html);
}

TEST(RenderHtml, MutexTable) {
    const std::string html = render_html(rich_status_model(), RenderOptions{});
    EXPECT_TRUE(
        contains(html,
                 "<tr><td>mpm-accept</td><td>sysvsem</td><td>sysvsem</td>"
                 "<td><strong>yes</strong></td><td>\u2014</td><td class=\"num\">0</td></tr>"));
    EXPECT_TRUE(contains(html,
                         "<tr><td>authdigest-client</td><td>default</td><td>fcntl</td>"
                         "<td>no</td><td>/var/run/apache2</td><td class=\"num\">0</td></tr>"));
    EXPECT_FALSE(contains(html, "No SysV semaphore sets in use"));
}

TEST(RenderHtml, SetsTable) {
    const std::string html = render_html(rich_status_model(), RenderOptions{});
    // The held accept mutex with three waiters, the last operation by one of ours.
    EXPECT_TRUE(contains(html,
                         "<tr><td class=\"num\">98304</td><td>mpm-accept</td>"
                         "<td class=\"num\">0</td><td><strong>held</strong></td>"
                         "<td class=\"num alert\">3</td>"
                         "<td class=\"num\">4301 <span class=\"muted\">(alive, ours)</span></td>"
                         "<td>www-data:www-data</td><td><code>0600</code></td>"));
    EXPECT_TRUE(contains(html, "<td>root:www-data</td><td><code>0660</code></td>"));
    EXPECT_TRUE(contains(html, "<td>never</td>"));  // 98306 was never operated on
    EXPECT_TRUE(contains(html, "<td>2024-05-01 11:59:57</td>"));
    // A two-semaphore set of unknown type spans two rows.
    EXPECT_TRUE(contains(html,
                         "<tr><td class=\"num\" rowspan=\"2\">98307</td><td rowspan=\"2\">"
                         "<span class=\"muted\">unknown</span></td>"));
    EXPECT_TRUE(contains(html, "4303 <span class=\"muted\">(gone)</span>"));
    EXPECT_TRUE(contains(html, "777 <span class=\"muted\">(alive, not ours)</span>"));
    // Recorded but missing, recorded but replaced, unreadable.
    EXPECT_TRUE(
        contains(html, "<tr class=\"missing\"><td class=\"num\">98308</td><td>rewrite-map</td>"));
    EXPECT_TRUE(contains(
        html, "<strong>missing</strong>: recorded by this server, but gone from the kernel"));
    EXPECT_TRUE(contains(html, "<tr class=\"missing\"><td class=\"num\">98309</td>"));
    EXPECT_TRUE(contains(html, "<strong>replaced</strong>"));
    EXPECT_TRUE(
        contains(html, "could not be read:</span> (13)Permission denied: semctl(GETALL, 98310)"));
    EXPECT_TRUE(contains(
        html, "7 sets with 5 semaphores, <span class=\"alert\">2 missing or replaced</span>"));
    EXPECT_TRUE(contains(html, "Protection (owner root, mode 0660): on."));
}

TEST(RenderHtml, PartialReadStaysInsideItsSet) {
    StatusModel m = rich_status_model();
    m.sets[3].error = "(22) Invalid argument: semctl(GETNCNT, 98307, 1)";
    const std::string html = render_html(m, RenderOptions{});
    EXPECT_TRUE(contains(html, "<tr><td class=\"num\" rowspan=\"3\">98307</td>"));
    EXPECT_TRUE(
        contains(html,
                 "<tr><td class=\"text\" colspan=\"4\"><span class=\"alert\">read "
                 "failed:</span> (22) Invalid argument: semctl(GETNCNT, 98307, 1)</td></tr>"));
    expect_balanced(html);
}

TEST(RenderHtml, StartupSection) {
    const std::string html = render_html(rich_status_model(), RenderOptions{});
    EXPECT_TRUE(contains(html, "<dt>Reclaim mode</dt><dd>on</dd>"));
    EXPECT_TRUE(contains(html, "3 of its sets were reclaimed, 1 kept."));
    EXPECT_TRUE(contains(html, "parent 4100 was killed"));
    EXPECT_TRUE(contains(
        html,
        "<tr><td class=\"num\">65536</td><td>mpm-accept</td><td class=\"num\">4100</td></tr>"));
    EXPECT_TRUE(contains(html, "a process of the old run (pid 4177) is still alive"));
    EXPECT_TRUE(
        contains(html, "2 sets look like httpd's but no recorded run of this server owns them"));
    EXPECT_TRUE(contains(html, "<pre>ipcs -s -i 32768\nipcs -s -i 32769\n</pre>"));
    EXPECT_TRUE(contains(html, "<dd>3 reclaimed, 1 kept</dd>"));
    EXPECT_FALSE(contains(html, "Would reclaim"));  // not a dry run
}

TEST(RenderHtml, DryRunShowsWhatWouldBeReclaimed) {
    StatusModel m = rich_status_model();
    m.startup.mode = "dryrun";
    m.startup.would_reclaim = m.startup.reclaimed;
    m.startup.reclaimed.clear();
    const std::string html = render_html(m, RenderOptions{});
    EXPECT_TRUE(contains(html, "<h3>Would reclaim (dry run)</h3>"));
    EXPECT_TRUE(contains(html, "<td class=\"num\">65537</td><td>ssl-cache</td>"));
}

TEST(RenderHtml, ManyLookalikesAreCapped) {
    StatusModel m = rich_status_model();
    m.startup.lookalikes.clear();
    for (int i = 0; i < 120; ++i) m.startup.lookalikes.push_back(1000 + i);
    const std::string html = render_html(m, RenderOptions{});
    EXPECT_EQ(count(html, "ipcs -s -i "), 50u);
    EXPECT_TRUE(contains(html, "and 70 more"));
}

TEST(RenderHtml, NoSysvSaysSoPlainly) {
    const std::string html = render_html(no_sysv_status_model(), RenderOptions{});
    EXPECT_EQ(
        count(html,
              "<strong>No SysV semaphore sets in use:</strong> every mutex uses pthread, fcntl."),
        1u);
    EXPECT_FALSE(contains(html, "Semid</th>"));
    EXPECT_TRUE(contains(html, "<span class=\"state state-ok\">ok</span>"));
    expect_balanced(html);
}

TEST(RenderHtml, EmptyModelStillRenders) {
    const std::string html = render_html(StatusModel{}, RenderOptions{});
    EXPECT_TRUE(contains(html, "<h1>Apache Semaphore Guard Status for </h1>"));
    EXPECT_TRUE(contains(html, "No mutexes reported."));
    EXPECT_TRUE(contains(html, "No SysV semaphore sets recorded for this server."));
    EXPECT_TRUE(contains(html, "<dd>unknown</dd>"));  // uptime without a start time
    expect_balanced(html);
}

TEST(RenderHtml, RefreshMeta) {
    RenderOptions options;
    EXPECT_FALSE(contains(render_html(rich_status_model(), options), "http-equiv"));
    options.refresh = 7;
    std::string html = render_html(rich_status_model(), options);
    EXPECT_TRUE(contains(html, "<meta http-equiv=\"refresh\" content=\"7\">"));
    EXPECT_TRUE(contains(html, "reloading every 7 seconds"));
    // Renderers do not trust their options either.
    options.refresh = 99999;
    html = render_html(rich_status_model(), options);
    EXPECT_TRUE(contains(html, "<meta http-equiv=\"refresh\" content=\"3600\">"));
}

TEST(RenderHtml, LinksToOtherFormatsUnderTheHandlerPath) {
    RenderOptions options;
    options.base_path = "/semguard-status";
    std::string html = render_html(rich_status_model(), options);
    EXPECT_TRUE(contains(html, "<a href=\"/semguard-status?auto\">"));
    EXPECT_TRUE(contains(html, "<a href=\"/semguard-status?json\">"));
    EXPECT_TRUE(contains(html, "<a href=\"/semguard-status?metrics\">"));
    EXPECT_TRUE(contains(html, "<a href=\"/semguard-status?refresh=10\">"));

    options.base_path = "/status \"page\"<x>";
    html = render_html(rich_status_model(), options);
    EXPECT_TRUE(contains(html, "<a href=\"/status%20%22page%22%3Cx%3E?json\">"));

    // Anything but a local absolute path falls back to relative links.
    for (const char* hostile :
         {"javascript:alert(1)", "//evil.example/x", "https://evil.example/"}) {
        options.base_path = hostile;
        html = render_html(rich_status_model(), options);
        EXPECT_TRUE(contains(html, "<a href=\"?json\">")) << hostile;
        EXPECT_FALSE(contains(html, "evil")) << hostile;
        EXPECT_FALSE(contains(html, "javascript")) << hostile;
    }
}

TEST(RenderHtml, EverythingFromTheModelIsEscaped) {
    StatusModel m = status_model_with_all_strings(kHostileText);
    m.kernel_ok = false;  // so that kernel_error is shown too
    const std::string html = render_html(m, RenderOptions{});
    EXPECT_FALSE(contains(html, "<script"));
    EXPECT_FALSE(contains(html, "alert(\""));
    EXPECT_TRUE(contains(
        html,
        "<h1>Apache Semaphore Guard Status for &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    EXPECT_TRUE(contains(html, "<title>Apache Semaphore Guard Status for &lt;script&gt;"));
    EXPECT_TRUE(contains(html, "&#39;q&#39;"));
    // The page is valid UTF-8 even though the model is not.
    EXPECT_EQ(sanitize_utf8(html), html);
    EXPECT_FALSE(contains(html, std::string(1, '\x01')));
    expect_balanced(html);

    m.kernel_ok = true;
    const std::string with_kernel = render_html(m, RenderOptions{});
    EXPECT_FALSE(contains(with_kernel, "<script"));
    expect_balanced(with_kernel);
}

}  // namespace
}  // namespace semguard
