// DeferringLogger: startup messages wait for the error log, except the ones
// about a start that is about to fail (crit and above), which go out at once.
#include "log/deferred_log.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "capture_logger.h"
#include "log/messages.h"

namespace semguard {
namespace {

TEST(DeferredLog, CritAndAboveGoOutAtOnce) {
    CaptureLogger now;
    now.check_catalogue = false;  // no tag of the catalogue is at alert or crit
    std::vector<DeferredEntry> later;
    DeferringLogger log(now, later);
    log.log(Level::Emerg, tag::kExhausted, "line one");
    log.log(Level::Alert, "SG9998", "alert");
    log.log(Level::Crit, "SG9997", "crit");
    ASSERT_EQ(now.lines().size(), 3u);
    EXPECT_EQ(now.lines()[0].tag, "SG0111");
    EXPECT_EQ(now.lines()[0].level, Level::Emerg);
    EXPECT_EQ(now.lines()[0].text, "line one");
    EXPECT_EQ(now.lines()[1].level, Level::Alert);
    EXPECT_EQ(now.lines()[2].level, Level::Crit);
    EXPECT_TRUE(later.empty());
}

TEST(DeferredLog, ErrorAndBelowWaitInOrder) {
    CaptureLogger now;
    std::vector<DeferredEntry> later;
    DeferringLogger log(now, later);
    log.log(Level::Notice, tag::kSummary, "summary");
    log.log(Level::Error, tag::kRemoveFailed, "remove failed");
    log.log(Level::Warn, tag::kKept, "kept");
    log.log(Level::Info, tag::kLookalikes, "lookalikes");
    log.log(Level::Debug, "", "debug");
    EXPECT_TRUE(now.empty()) << now.dump();
    ASSERT_EQ(later.size(), 5u);
    EXPECT_EQ(later[0].tag, "SG0101");
    EXPECT_EQ(later[0].level, Level::Notice);
    EXPECT_EQ(later[0].text, "summary");
    EXPECT_EQ(later[1].tag, "SG0207");
    EXPECT_EQ(later[2].tag, "SG0203");
    EXPECT_EQ(later[3].level, Level::Info);
    EXPECT_EQ(later[4].tag, "");
}

TEST(DeferredLog, EmergDoesNotOvertakeWhatIsHeldButIsNotHeldEither) {
    CaptureLogger now;
    std::vector<DeferredEntry> later;
    DeferringLogger log(now, later);
    log.log(Level::Notice, tag::kReclaimed, "reclaimed");
    log.log(Level::Emerg, tag::kRefuseStart, "refused");
    ASSERT_EQ(now.lines().size(), 1u);
    EXPECT_EQ(now.lines()[0].tag, "SG0112");
    ASSERT_EQ(later.size(), 1u);
    EXPECT_EQ(later[0].tag, "SG0201");
}

TEST(DeferredLog, FlushLogsInOrderAndClears) {
    CaptureLogger now;
    std::vector<DeferredEntry> later;
    {
        DeferringLogger log(now, later);
        log.log(Level::Warn, tag::kKept, "first");
        log.log(Level::Notice, tag::kSummary, "second");
    }
    // The entries outlive the logger that took them.
    CaptureLogger to;
    flush_deferred(later, to);
    EXPECT_TRUE(later.empty());
    ASSERT_EQ(to.lines().size(), 2u);
    EXPECT_EQ(to.lines()[0].tag, "SG0203");
    EXPECT_EQ(to.lines()[0].text, "first");
    EXPECT_EQ(to.lines()[0].level, Level::Warn);
    EXPECT_EQ(to.lines()[1].tag, "SG0101");
    EXPECT_EQ(to.lines()[1].text, "second");
    // A second flush (the post_config fallback) says nothing again.
    flush_deferred(later, to);
    EXPECT_EQ(to.lines().size(), 2u);
    EXPECT_TRUE(now.empty());
}

TEST(DeferredLog, TagTextIsCopied) {
    CaptureLogger now;
    std::vector<DeferredEntry> later;
    DeferringLogger log(now, later);
    {
        std::string tag_text = "SG0203";
        log.log(Level::Warn, tag_text.c_str(), "kept");
        tag_text.assign("XXXXXX");
    }
    CaptureLogger to;
    flush_deferred(later, to);
    ASSERT_EQ(to.lines().size(), 1u);
    EXPECT_EQ(to.lines()[0].tag, "SG0203");
}

TEST(DeferredLog, FlushOfNothingIsNothing) {
    std::vector<DeferredEntry> later;
    CaptureLogger to;
    flush_deferred(later, to);
    EXPECT_TRUE(to.empty());
}

// The first pass of a start: the error log is not open when the check fails,
// but a module's AH00023 will be written there; the urgent lines are shown at
// once and repeated into the error log when it opens, in their order.
TEST(DeferredLog, UrgentLinesAreRepeatedIntoTheErrorLogWhenItOpens) {
    CaptureLogger now;
    std::vector<DeferredEntry> later;
    DeferringLogger log(now, later, /*echo_urgent=*/true);
    log.log(Level::Notice, tag::kReclaimed, "reclaimed");
    log.log(Level::Emerg, tag::kExhausted, "what fails");
    log.log(Level::Emerg, tag::kRefuseStart, "refused");
    ASSERT_EQ(now.lines().size(), 2u);
    CaptureLogger error_log;
    flush_deferred(later, error_log, /*log_open=*/true);
    ASSERT_EQ(error_log.lines().size(), 3u);
    EXPECT_EQ(error_log.lines()[0].tag, "SG0201");
    EXPECT_EQ(error_log.lines()[1].tag, "SG0111");
    EXPECT_EQ(error_log.lines()[1].text, "what fails");
    EXPECT_EQ(error_log.lines()[2].tag, "SG0112");
}

// The start failed before core opened the error log (the MPM's accept mutex):
// the late flush goes to stderr, where the urgent lines already are.
TEST(DeferredLog, UrgentLinesAreNotShownTwiceWhenTheLogNeverOpened) {
    CaptureLogger now;
    std::vector<DeferredEntry> later;
    DeferringLogger log(now, later, true);
    log.log(Level::Emerg, tag::kExhausted, "what fails");
    log.log(Level::Notice, tag::kReclaimed, "reclaimed");
    CaptureLogger to_stderr;
    flush_deferred(later, to_stderr, /*log_open=*/false);
    ASSERT_EQ(to_stderr.lines().size(), 1u);
    EXPECT_EQ(to_stderr.lines()[0].tag, "SG0201");
    EXPECT_TRUE(later.empty());
}

}  // namespace
}  // namespace semguard
