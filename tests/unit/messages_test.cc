// The message catalogue: every tag is unique, well-formed, explained, has a
// remedy, and is documented in README.md with the same level.
#include "capture_logger.h"
#include "log/messages.h"

#include <gtest/gtest.h>

#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace semguard {
namespace {

std::string readme() {
    std::ifstream in(std::string(SEMGUARD_SOURCE_DIR) + "/README.md");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// Every tag constant the engine logs with, and the level it is logged at.
const std::map<std::string, Level> kTagLevels{
    {tag::kSummary, Level::Notice},        {tag::kNoSysv, Level::Notice},
    {tag::kLowHeadroom, Level::Warn},      {tag::kExhausted, Level::Emerg},
    {tag::kRefuseStart, Level::Emerg},     {tag::kKernelUnreadable, Level::Warn},
    {tag::kMutexConfigUnread, Level::Warn}, {tag::kReclaimed, Level::Notice},
    {tag::kDryRun, Level::Notice},         {tag::kKept, Level::Warn},
    {tag::kLookalikes, Level::Info},       {tag::kStateRejected, Level::Warn},
    {tag::kStateUnwritable, Level::Warn},  {tag::kRemoveFailed, Level::Error},
    {tag::kNoAnchor, Level::Warn},         {tag::kRunAlive, Level::Warn},
    {tag::kRestartGrowth, Level::Warn},    {tag::kStopSweep, Level::Notice},
    {tag::kUnvouched, Level::Warn},        {tag::kStateShared, Level::Warn},
    {tag::kOrphanAnchors, Level::Info},
    {tag::kSetRemoved, Level::Emerg},      {tag::kSetUnusable, Level::Emerg},
    {tag::kPostMortem, Level::Notice},     {tag::kProtectFailed, Level::Warn},
    {tag::kInternal, Level::Error},
};

TEST(Messages, EveryTagIsUniqueAndWellFormed) {
    ASSERT_GT(kMessageSpecCount, 0u);
    const std::regex form("^SG[0-9]{4}$");
    std::set<std::string> seen;
    for (std::size_t i = 0; i < kMessageSpecCount; ++i) {
        const MessageSpec& m = kMessageSpecs[i];
        ASSERT_NE(m.tag, nullptr) << "entry " << i;
        EXPECT_TRUE(std::regex_match(m.tag, form)) << "'" << m.tag << "'";
        EXPECT_TRUE(seen.insert(m.tag).second) << m.tag << " is listed twice";
    }
}

TEST(Messages, EveryTagHasMeaningAndRemedy) {
    for (std::size_t i = 0; i < kMessageSpecCount; ++i) {
        const MessageSpec& m = kMessageSpecs[i];
        ASSERT_NE(m.meaning, nullptr) << m.tag;
        ASSERT_NE(m.remedy, nullptr) << m.tag;
        EXPECT_GE(std::string(m.meaning).size(), 10u) << m.tag << ": meaning too short";
        EXPECT_GE(std::string(m.remedy).size(), 4u) << m.tag << ": no remedy";
    }
}

TEST(Messages, EveryTagConstantIsInTheCatalogueWithItsLevel) {
    EXPECT_EQ(kTagLevels.size(), kMessageSpecCount)
        << "a tag was added to the catalogue or to messages.h without the other";
    for (const auto& [t, level] : kTagLevels) {
        const MessageSpec* m = find_message_spec(t.c_str());
        ASSERT_NE(m, nullptr) << t << " is not in kMessageSpecs";
        EXPECT_EQ(m->tag, t);
        EXPECT_EQ(level_name(m->level), std::string(level_name(level))) << t;
    }
}

TEST(Messages, CatalogueIsInTagOrder) {
    for (std::size_t i = 1; i < kMessageSpecCount; ++i)
        EXPECT_LT(std::string(kMessageSpecs[i - 1].tag), std::string(kMessageSpecs[i].tag));
}

TEST(Messages, FindMessageSpec) {
    const MessageSpec* m = find_message_spec("SG0111");
    ASSERT_NE(m, nullptr);
    EXPECT_EQ(m->level, Level::Emerg);
    EXPECT_EQ(find_message_spec("SG0000"), nullptr);
    EXPECT_EQ(find_message_spec(""), nullptr);
    EXPECT_EQ(find_message_spec("sg0111"), nullptr);
}

TEST(Messages, EveryTagIsDocumentedInTheReadme) {
    const std::string text = readme();
    ASSERT_FALSE(text.empty()) << SEMGUARD_SOURCE_DIR "/README.md is missing or empty";
    for (std::size_t i = 0; i < kMessageSpecCount; ++i) {
        const MessageSpec& m = kMessageSpecs[i];
        EXPECT_NE(text.find(m.tag), std::string::npos) << m.tag << " is not in README.md";
    }
}

TEST(Messages, ReadmeTableStatesTheSameLevel) {
    const std::string text = readme();
    for (std::size_t i = 0; i < kMessageSpecCount; ++i) {
        const MessageSpec& m = kMessageSpecs[i];
        const std::string row = std::string("| ") + m.tag + " | " + level_name(m.level) + " |";
        EXPECT_NE(text.find(row), std::string::npos)
            << "README.md has no table row starting '" << row << "'";
    }
}

TEST(Messages, ReadmeNamesNoUnknownTag) {
    const std::string text = readme();
    const std::regex any_tag("SG[0-9]{4}");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), any_tag);
         it != std::sregex_iterator(); ++it) {
        EXPECT_NE(find_message_spec(it->str().c_str()), nullptr)
            << it->str() << " is in README.md but not in kMessageSpecs";
    }
}

}  // namespace
}  // namespace semguard
