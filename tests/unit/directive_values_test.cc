// Every accepted and every rejected directive value, walked as tables.
#include "config/directive_values.h"

#include <gtest/gtest.h>

#include <string>

namespace semguard {
namespace {

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// ---- SemGuardReclaim On|Off|DryRun -------------------------------------------

struct ModeCase {
    const char* arg;
    bool ok;
    ReclaimMode mode;
};

TEST(DirectiveValues, ReclaimModeTable) {
    const ModeCase cases[] = {
        {"on", true, ReclaimMode::On},         {"On", true, ReclaimMode::On},
        {"ON", true, ReclaimMode::On},         {"off", true, ReclaimMode::Off},
        {"OFF", true, ReclaimMode::Off},       {"Off", true, ReclaimMode::Off},
        {"DryRun", true, ReclaimMode::DryRun}, {"dryrun", true, ReclaimMode::DryRun},
        {"DRYRUN", true, ReclaimMode::DryRun}, {"", false, ReclaimMode::On},
        {"yes", false, ReclaimMode::On},       {"no", false, ReclaimMode::On},
        {"dry run", false, ReclaimMode::On},   {"dry-run", false, ReclaimMode::On},
        {"true", false, ReclaimMode::On},      {"1", false, ReclaimMode::On},
        {" on", false, ReclaimMode::On},       {"on ", false, ReclaimMode::On},
        {"onn", false, ReclaimMode::On},       {"o", false, ReclaimMode::On},
        {nullptr, false, ReclaimMode::On},
    };
    for (const auto& c : cases) {
        const std::string shown = c.arg ? std::string("'") + c.arg + "'" : "nullptr";
        // A value the parser must not touch on rejection.
        ReclaimMode out = ReclaimMode::Off;
        if (c.ok && c.mode == ReclaimMode::Off) out = ReclaimMode::DryRun;
        const ReclaimMode before = out;
        std::string error = "untouched";
        const bool ok = parse_reclaim_mode(c.arg, out, error);
        EXPECT_EQ(ok, c.ok) << shown;
        if (c.ok) {
            EXPECT_EQ(out, c.mode) << shown;
        } else {
            EXPECT_EQ(out, before) << shown << ": the output must stay as it was";
            EXPECT_TRUE(contains(error, "On")) << shown << ": " << error;
            EXPECT_TRUE(contains(error, "Off")) << shown << ": " << error;
            EXPECT_TRUE(contains(error, "DryRun")) << shown << ": " << error;
            EXPECT_TRUE(contains(error, "must be")) << shown << ": " << error;
            if (c.arg) {
                EXPECT_TRUE(contains(error, std::string("'") + c.arg + "'")) << error;
            }
        }
    }
}

TEST(DirectiveValues, ReclaimModeNames) {
    EXPECT_STREQ(to_string(ReclaimMode::On), "on");
    EXPECT_STREQ(to_string(ReclaimMode::Off), "off");
    EXPECT_STREQ(to_string(ReclaimMode::DryRun), "dryrun");
    // What to_string gives back parses to the same mode.
    for (ReclaimMode m : {ReclaimMode::On, ReclaimMode::Off, ReclaimMode::DryRun}) {
        ReclaimMode back = m == ReclaimMode::On ? ReclaimMode::Off : ReclaimMode::On;
        std::string error;
        ASSERT_TRUE(parse_reclaim_mode(to_string(m), back, error));
        EXPECT_EQ(back, m);
    }
}

// ---- SemGuardWarnAt 1-100 ---------------------------------------------------------

struct PercentCase {
    const char* arg;
    bool ok;
    int value;
};

TEST(DirectiveValues, PercentTable) {
    const PercentCase cases[] = {
        {"1", true, 1},           {"80", true, 80},    {"100", true, 100},
        {"50", true, 50},         {"99", true, 99},    {"0", false, 0},
        {"00", false, 0},         {"101", false, 0},   {"1000", false, 0},
        {"-5", false, 0},         {"+5", false, 0},    {"8O", false, 0},
        {"80%", false, 0},        {" 80", false, 0},   {"80 ", false, 0},
        {"8 0", false, 0},        {"", false, 0},      {"999999999999", false, 0},
        {"4294967376", false, 0},  // 80 modulo 2^32
        {"0x50", false, 0},       {"80.0", false, 0},  {"1e2", false, 0},
        {"eighty", false, 0},     {nullptr, false, 0},
    };
    for (const auto& c : cases) {
        const std::string shown = c.arg ? std::string("'") + c.arg + "'" : "nullptr";
        int out = -7;
        std::string error = "untouched";
        const bool ok = parse_percent(c.arg, out, error);
        EXPECT_EQ(ok, c.ok) << shown;
        if (c.ok) {
            EXPECT_EQ(out, c.value) << shown;
            EXPECT_EQ(error, "") << shown;
        } else {
            EXPECT_EQ(out, -7) << shown << ": the output must stay as it was";
            EXPECT_TRUE(contains(error, "1 to 100")) << shown << ": " << error;
            if (c.arg) {
                EXPECT_TRUE(contains(error, std::string("'") + c.arg + "'")) << error;
            }
        }
    }
}

// ---- SemGuardStateFile PATH -----------------------------------------------------

TEST(DirectiveValues, StateFileAccepted) {
    for (const char* arg : {"/run/apache2/semguard.state", "semguard.state", "run/semguard.state",
                            "/x", "/run/apache2/semguard state", "/run/apache2/./semguard.state"}) {
        std::string error = "untouched";
        EXPECT_TRUE(valid_state_file_value(arg, error)) << arg << ": " << error;
    }
    const std::string longest = "/" + std::string(4095, 'a');
    ASSERT_EQ(longest.size(), 4096u);
    std::string error;
    EXPECT_TRUE(valid_state_file_value(longest.c_str(), error)) << error;
}

TEST(DirectiveValues, StateFileRejected) {
    struct Case {
        std::string arg;
        const char* why;
    };
    const Case cases[] = {
        {"", "needs a file path"},
        {"/run/apache2/", "must name a file, not a directory"},
        {"/", "must name a file, not a directory"},
        {"/run/apache2/semguard\n.state", "line break"},
        {"/run/apache2/semguard.state\n", "line break"},
        {"/run/apache2/semguard\r.state", "line break"},
        {"/" + std::string(4096, 'a'), "longer than 4096 bytes"},
    };
    for (const auto& c : cases) {
        std::string error;
        EXPECT_FALSE(valid_state_file_value(c.arg.c_str(), error)) << "'" << c.arg << "'";
        EXPECT_TRUE(contains(error, c.why)) << "'" << c.arg << "': " << error;
    }
    std::string error;
    EXPECT_FALSE(valid_state_file_value(nullptr, error));
    EXPECT_TRUE(contains(error, "needs a file path")) << error;
}

}  // namespace
}  // namespace semguard
