// The escapers every renderer relies on.
#include <gtest/gtest.h>

#include <string>

#include "text/html_escape.h"
#include "text/json_escape.h"
#include "text/prom_escape.h"
#include "text/url_escape.h"
#include "text/utf8_sanitize.h"

namespace semguard {
namespace {

const std::string kFFFD = "\xEF\xBF\xBD";

TEST(Utf8Sanitize, ValidTextIsUnchanged) {
    const std::string text = "plain \xC3\xA9t\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\x8E \x7f";
    EXPECT_EQ(sanitize_utf8(text), text);
    EXPECT_EQ(sanitize_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Utf8Sanitize, EachIllFormedByteBecomesOneReplacementChar) {
    EXPECT_EQ(sanitize_utf8("\xff"), kFFFD);
    EXPECT_EQ(sanitize_utf8("a\x80z"), "a" + kFFFD + "z");  // stray continuation
    EXPECT_EQ(sanitize_utf8("\xC0\xBC"), kFFFD + kFFFD);    // overlong "<"
    EXPECT_EQ(sanitize_utf8("\xE0\x80\xBC"), kFFFD + kFFFD + kFFFD);
    EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), kFFFD + kFFFD + kFFFD);              // surrogate D800
    EXPECT_EQ(sanitize_utf8("\xF4\x90\x80\x80"), kFFFD + kFFFD + kFFFD + kFFFD);  // > U+10FFFF
    EXPECT_EQ(sanitize_utf8("\xE2\x82"), kFFFD + kFFFD);  // truncated at the end
    EXPECT_EQ(sanitize_utf8("\xE2\x82x"), kFFFD + kFFFD + "x");
    // Latin-1 "café"
    EXPECT_EQ(sanitize_utf8("caf\xe9"), "caf" + kFFFD);
}

TEST(Utf8Sanitize, NextStepReportsLengthAndCodePoint) {
    const Utf8Step euro = next_utf8("\xE2\x82\xAC", 0);
    EXPECT_TRUE(euro.valid);
    EXPECT_EQ(euro.length, 3u);
    EXPECT_EQ(euro.code_point, U'\u20AC');
    EXPECT_FALSE(next_utf8("", 0).valid);
    EXPECT_EQ(next_utf8("", 0).length, 1u);  // callers always advance
}

TEST(HtmlEscape, MarkupCharacters) {
    EXPECT_EQ(html_escape("<script>alert(\"x\")</script>"),
              "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;");
    EXPECT_EQ(html_escape("a & b 'c'"), "a &amp; b &#39;c&#39;");
    EXPECT_EQ(html_escape("&amp;"), "&amp;amp;");
}

TEST(HtmlEscape, ControlsAndBadBytesBecomeReplacementChars) {
    EXPECT_EQ(html_escape(std::string("a\0b", 3)), "a" + kFFFD + "b");
    EXPECT_EQ(html_escape("\x01\x7f\xC2\x85"), kFFFD + kFFFD + kFFFD);
    EXPECT_EQ(html_escape("tab\tnl\ncr\r"), "tab\tnl\ncr\r");
    EXPECT_EQ(html_escape("\xC0\xBCscript"), kFFFD + kFFFD + "script");
    EXPECT_EQ(html_escape("caf\xC3\xA9"), "caf\xC3\xA9");
}

// The quoted JSON string append_json_string writes for `text`.
std::string json_string(std::string_view text) {
    std::string out;
    append_json_string(out, text);
    return out;
}

TEST(JsonEscape, QuotesBackslashesAndControls) {
    EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
    EXPECT_EQ(json_string("\n\r\t\b\f"), "\"\\n\\r\\t\\b\\f\"");
    EXPECT_EQ(json_string(std::string("\0\x1f\x7f", 3)), "\"\\u0000\\u001f\\u007f\"");
    EXPECT_EQ(json_string(""), "\"\"");
}

TEST(JsonEscape, MarkupAndLineSeparatorsAreEscaped) {
    EXPECT_EQ(json_string("</script>&"), "\"\\u003c/script\\u003e\\u0026\"");
    EXPECT_EQ(json_string("\xE2\x80\xA8\xE2\x80\xA9"), "\"\\u2028\\u2029\"");
}

TEST(JsonEscape, IllFormedUtf8BecomesReplacementEscapes) {
    EXPECT_EQ(json_string("caf\xe9"), "\"caf\\ufffd\"");
    EXPECT_EQ(json_string("\xff\xfe"), "\"\\ufffd\\ufffd\"");
    EXPECT_EQ(json_string("\xED\xA0\x80"), "\"\\ufffd\\ufffd\\ufffd\"");
    // Valid multi-byte characters pass through as UTF-8.
    EXPECT_EQ(json_string("\xC3\xA9\xF0\x9F\x90\x8E"), "\"\xC3\xA9\xF0\x9F\x90\x8E\"");
}

TEST(PromEscape, LabelValues) {
    EXPECT_EQ(prom_label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    EXPECT_EQ(prom_label_value("caf\xe9"), "caf" + kFFFD);
    EXPECT_EQ(prom_label_value("plain-value_1"), "plain-value_1");
}

TEST(PromEscape, HelpTextKeepsQuotes) {
    EXPECT_EQ(prom_help_text("say \"hi\"\\\n"), "say \"hi\"\\\\\\n");
}

TEST(UrlEscape, PathsCannotCarryQueriesOrQuotes) {
    EXPECT_EQ(url_path_escape("/semguard-status"), "/semguard-status");
    EXPECT_EQ(url_path_escape("/a b/\"x\"?#'<>"), "/a%20b/%22x%22%3F%23%27%3C%3E");
    EXPECT_EQ(url_path_escape("/100%"), "/100%25");
    EXPECT_EQ(url_path_escape("/caf\xc3\xa9"), "/caf%C3%A9");
}

}  // namespace
}  // namespace semguard
