// The message catalogue: log/messages.cc holds every tag and its level, once;
// README.md's "Log messages" table gives each its meaning and remedy. These
// tests keep the tag constants, the catalogue and the README in step. The level
// each tag is actually logged at is checked wherever the engine logs in a test:
// CaptureLogger fails the test on a line whose level is not its tag's.
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

std::string source_file(const std::string& path) {
    std::ifstream in(std::string(SEMGUARD_SOURCE_DIR) + "/" + path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

struct ReadmeRow {
    std::string level, meaning, remedy;
};

// The rows "| SGnnnn | level | meaning | remedy |" of README.md, by tag.
std::multimap<std::string, ReadmeRow> readme_rows() {
    std::multimap<std::string, ReadmeRow> rows;
    std::istringstream in(source_file("README.md"));
    const std::regex row(R"(^\| (SG[0-9]{4}) \| ([a-z]+) \| (.*) \| (.*) \|\s*$)");
    std::smatch m;
    for (std::string line; std::getline(in, line);)
        if (std::regex_match(line, m, row)) rows.insert({m[1], {m[2], m[3], m[4]}});
    return rows;
}

// The tag constants of log/messages.h: "SGnnnn" strings.
std::set<std::string> tag_constants() {
    const std::string header = source_file("mod_semguard/core/log/messages.h");
    const std::regex constant(R"re(constexpr const char\* k\w+ = "(SG[0-9]{4})")re");
    std::set<std::string> out;
    for (auto it = std::sregex_iterator(header.begin(), header.end(), constant);
         it != std::sregex_iterator(); ++it)
        out.insert((*it)[1]);
    return out;
}

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

TEST(Messages, EveryTagConstantIsInTheCatalogueAndBack) {
    const std::set<std::string> constants = tag_constants();
    ASSERT_FALSE(constants.empty()) << "no tag constant found in messages.h";
    std::set<std::string> catalogue;
    for (std::size_t i = 0; i < kMessageSpecCount; ++i) catalogue.insert(kMessageSpecs[i].tag);
    EXPECT_EQ(constants, catalogue)
        << "a tag was added to messages.h or to messages.cc without the other";
}

TEST(Messages, CatalogueIsInTagOrder) {
    for (std::size_t i = 1; i < kMessageSpecCount; ++i)
        EXPECT_LT(std::string(kMessageSpecs[i - 1].tag), std::string(kMessageSpecs[i].tag));
}

TEST(Messages, EveryTagHasOneReadmeRowAtItsLevelWithMeaningAndRemedy) {
    const auto rows = readme_rows();
    ASSERT_FALSE(rows.empty()) << SEMGUARD_SOURCE_DIR "/README.md has no message table";
    for (std::size_t i = 0; i < kMessageSpecCount; ++i) {
        const MessageSpec& m = kMessageSpecs[i];
        ASSERT_EQ(rows.count(m.tag), 1u) << "README.md needs exactly one row for " << m.tag;
        const ReadmeRow& row = rows.find(m.tag)->second;
        EXPECT_EQ(row.level, level_name(m.level)) << m.tag;
        EXPECT_GE(row.meaning.size(), 10u) << m.tag << ": meaning too short";
        EXPECT_GE(row.remedy.size(), 4u) << m.tag << ": no remedy";
    }
}

TEST(Messages, ReadmeNamesNoUnknownTag) {
    const std::string text = source_file("README.md");
    const std::regex any_tag("SG[0-9]{4}");
    for (auto it = std::sregex_iterator(text.begin(), text.end(), any_tag);
         it != std::sregex_iterator(); ++it) {
        EXPECT_NE(catalogue_entry(it->str()), nullptr)
            << it->str() << " is in README.md but not in the catalogue";
    }
}

// The check every engine test runs through CaptureLogger.
TEST(Messages, CaptureLoggerHoldsEachLineToItsTagsLevel) {
    EXPECT_EQ(catalogue_violation(Level::Warn, tag::kStateUnwritable), "");
    EXPECT_EQ(catalogue_violation(Level::Info, ""), "");
    EXPECT_NE(catalogue_violation(Level::Info, tag::kStateUnwritable), "");
    EXPECT_NE(catalogue_violation(Level::Notice, ""), "");
    EXPECT_NE(catalogue_violation(Level::Warn, "SG0000"), "");
}

}  // namespace
}  // namespace semguard
