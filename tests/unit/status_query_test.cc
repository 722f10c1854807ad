#include "status/status_query.h"

#include <gtest/gtest.h>

#include <string>

namespace semguard {
namespace {

StatusQuery parse(const std::string& raw) { return parse_status_query(std::string_view(raw)); }

TEST(StatusQuery, NoQueryStringMeansTheHtmlPage) {
    const StatusQuery q = parse_status_query(static_cast<const char*>(nullptr));
    EXPECT_TRUE(q.ok);
    EXPECT_EQ(q.format, StatusFormat::Html);
    EXPECT_EQ(q.refresh, 0);
    EXPECT_EQ(parse("").format, StatusFormat::Html);
    EXPECT_TRUE(parse("").ok);
}

TEST(StatusQuery, FormatFlags) {
    EXPECT_EQ(parse("auto").format, StatusFormat::Auto);
    EXPECT_EQ(parse("json").format, StatusFormat::Json);
    EXPECT_EQ(parse("metrics").format, StatusFormat::Metrics);
    // mod_status ignores what it does not know, and so do we.
    EXPECT_EQ(parse("notable").format, StatusFormat::Html);
    EXPECT_TRUE(parse("notable").ok);
    EXPECT_EQ(parse("utm_source=x&auto").format, StatusFormat::Auto);
    // A value on a format flag does not matter.
    EXPECT_EQ(parse("json=1").format, StatusFormat::Json);
    // Keys are exact, as in mod_status.
    EXPECT_EQ(parse("JSON").format, StatusFormat::Html);
    EXPECT_EQ(parse("autox").format, StatusFormat::Html);
}

TEST(StatusQuery, BothSeparators) {
    for (const char* raw :
         {"auto&refresh=5", "auto;refresh=5", "refresh=5;auto", "&&auto;;refresh=5&"}) {
        const StatusQuery q = parse(raw);
        EXPECT_TRUE(q.ok) << raw;
        EXPECT_EQ(q.format, StatusFormat::Auto) << raw;
        EXPECT_EQ(q.refresh, 5) << raw;
    }
}

TEST(StatusQuery, ConflictingFormatsAreAnError) {
    for (const char* raw : {"json&metrics", "auto;json", "metrics&notable&auto"}) {
        const StatusQuery q = parse(raw);
        EXPECT_FALSE(q.ok) << raw;
        EXPECT_FALSE(q.error.empty()) << raw;
    }
    // The same format twice is no conflict.
    EXPECT_TRUE(parse("json&json").ok);
    EXPECT_EQ(parse("json&json").format, StatusFormat::Json);
}

TEST(StatusQuery, RefreshWithoutValueUsesTheDefault) {
    EXPECT_EQ(parse("refresh").refresh, kDefaultRefreshSeconds);
    EXPECT_EQ(parse("refresh=").refresh, kDefaultRefreshSeconds);
    EXPECT_EQ(parse("refresh").format, StatusFormat::Html);
}

TEST(StatusQuery, RefreshIsClamped) {
    EXPECT_EQ(parse("refresh=5").refresh, 5);
    EXPECT_EQ(parse("refresh=%2B7").refresh, 7);
    EXPECT_EQ(parse("refresh=0").refresh, kMinRefreshSeconds);
    EXPECT_EQ(parse("refresh=-1").refresh, kMinRefreshSeconds);
    EXPECT_EQ(parse("refresh=-99999999999999999999").refresh, kMinRefreshSeconds);
    EXPECT_EQ(parse("refresh=3600").refresh, 3600);
    EXPECT_EQ(parse("refresh=3601").refresh, kMaxRefreshSeconds);
    EXPECT_EQ(parse("refresh=99999999999999999999").refresh, kMaxRefreshSeconds);
    EXPECT_EQ(parse("refresh=" + std::string(1500, '9')).refresh, kMaxRefreshSeconds);
    EXPECT_EQ(parse("refresh=0007").refresh, 7);
    for (const char* raw : {"refresh=-1", "refresh=99999999999999999999"})
        EXPECT_TRUE(parse(raw).ok);
}

TEST(StatusQuery, RefreshMustBeANumber) {
    for (const char* raw :
         {"refresh=abc", "refresh=5x", "refresh=-", "refresh=+", "refresh=1.5", "refresh= 5",
          "refresh=0x10", "refresh=+7" /* "+" is a space in a query string */, "refresh=%zz",
          "refresh=1%", "refresh=%00"}) {
        const StatusQuery q = parse(raw);
        EXPECT_FALSE(q.ok) << raw;
        EXPECT_FALSE(q.error.empty()) << raw;
    }
}

TEST(StatusQuery, RepeatedRefreshLastOneWins) {
    EXPECT_EQ(parse("refresh=5&refresh=7").refresh, 7);
    EXPECT_EQ(parse("refresh=5&refresh").refresh, kDefaultRefreshSeconds);
}

TEST(StatusQuery, PercentDecoding) {
    EXPECT_EQ(parse("%61uto").format, StatusFormat::Auto);
    EXPECT_EQ(parse("%6A%73%6f%6E").format, StatusFormat::Json);
    EXPECT_EQ(parse("refresh=%33%30").refresh, 30);
    // An encoded separator is data, not a separator.
    EXPECT_EQ(parse("x=1%26json").format, StatusFormat::Html);
    EXPECT_EQ(parse("x=1%3Bjson").format, StatusFormat::Html);
    // An encoded "=" belongs to the key, which then is unknown.
    EXPECT_EQ(parse("refresh%3D5").refresh, 0);
}

TEST(StatusQuery, HostileBytesAreIgnoredNotFatal) {
    for (const char* raw : {"%00", "auto%00", "%zz", "%", "%%", "%4", "=", "==auto", "%ff%fe",
                            "\xff\xfe", "<script>alert(1)</script>", "auto\r\nX-Injected: 1"}) {
        const StatusQuery q = parse(raw);
        EXPECT_TRUE(q.ok) << raw;
        EXPECT_EQ(q.format, StatusFormat::Html) << raw;
    }
    // NUL bytes inside the view do not end it early.
    EXPECT_EQ(parse(std::string("x\0y&json", 8)).format, StatusFormat::Json);
}

TEST(StatusQuery, TooLongIsAnError) {
    EXPECT_TRUE(parse(std::string(kMaxStatusQueryLength, 'a')).ok);
    const StatusQuery q = parse(std::string(kMaxStatusQueryLength + 1, 'a'));
    EXPECT_FALSE(q.ok);
    EXPECT_NE(q.error.find("too long"), std::string::npos);
    // A huge C string is refused without being read to its end (strnlen).
    const std::string huge(1 << 20, 'a');
    EXPECT_FALSE(parse_status_query(huge.c_str()).ok);
    EXPECT_TRUE(parse_status_query("metrics").ok);
    EXPECT_EQ(parse_status_query("metrics").format, StatusFormat::Metrics);
}

TEST(StatusQuery, ErrorsDoNotEchoTheRequest) {
    const StatusQuery q = parse("refresh=<script>x</script>");
    ASSERT_FALSE(q.ok);
    EXPECT_EQ(q.error.find('<'), std::string::npos);
    EXPECT_EQ(q.error.find("script"), std::string::npos);
}

TEST(StatusQuery, FormatNames) {
    EXPECT_STREQ(to_string(StatusFormat::Html), "html");
    EXPECT_STREQ(to_string(StatusFormat::Auto), "auto");
    EXPECT_STREQ(to_string(StatusFormat::Json), "json");
    EXPECT_STREQ(to_string(StatusFormat::Metrics), "metrics");
}

}  // namespace
}  // namespace semguard
