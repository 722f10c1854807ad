#include "status/render_json.h"

#include <gtest/gtest.h>

#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <string>

#include "json_check.h"
#include "status_model_samples.h"
#include "version.h"

namespace semguard {
namespace {

using test::json_error;
using test::kHostileText;
using test::no_sysv_status_model;
using test::rich_status_model;
using test::status_model_with_all_strings;

bool contains(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

// The checker has to be able to fail, or "valid" below means nothing.
TEST(JsonCheck, RejectsWhatStrictParsersReject) {
    EXPECT_EQ(json_error("{\"a\": [1, -2.5e3, true, false, null, \"\\ud83d\\udc0e\"]}"), "");
    EXPECT_EQ(json_error(" \"caf\xC3\xA9\" "), "");
    for (const char* bad : {"",
                            "{",
                            "{\"a\": 1,}",
                            "[1,]",
                            "{\"a\" 1}",
                            "01",
                            "1.",
                            "-",
                            "+1",
                            "\"a\nb\"",
                            "\"\xff\"",
                            "\"\xC0\xBC\"",
                            "\"\\ud800\"",
                            "\"\\udc00\"",
                            "\"\\x41\"",
                            "{\"a\": 1, \"a\": 2}",
                            "{\"a\": 1, \"\\u0061\": 2}",
                            "[] []",
                            "nul",
                            "NaN",
                            "{'a': 1}"})
        EXPECT_NE(json_error(bad), "") << bad;
}

TEST(RenderJson, ValidForEveryModel) {
    EXPECT_EQ(json_error(render_json(rich_status_model(), RenderOptions{})), "");
    EXPECT_EQ(json_error(render_json(no_sysv_status_model(), RenderOptions{})), "");
    EXPECT_EQ(json_error(render_json(StatusModel{}, RenderOptions{})), "");
    StatusModel hostile = status_model_with_all_strings(kHostileText);
    hostile.kernel_ok = false;
    EXPECT_EQ(json_error(render_json(hostile, RenderOptions{})), "");
}

TEST(RenderJson, ValidForEveryByteValue) {
    std::string all_bytes;
    for (int c = 0; c < 256; ++c) all_bytes += static_cast<char>(c);
    const std::string json = render_json(status_model_with_all_strings(all_bytes), RenderOptions{});
    EXPECT_EQ(json_error(json), "");
    EXPECT_TRUE(contains(json, "\\u0000\\u0001"));
    EXPECT_TRUE(contains(json, "\\ufffd"));
}

TEST(RenderJson, ModuleVersionIsTheOneConstant) {
    const nlohmann::json doc = test::parse_json(render_json(rich_status_model(), RenderOptions{}));
    ASSERT_TRUE(doc.is_object());
    EXPECT_EQ(doc["module"]["name"], "mod_semguard");
    EXPECT_EQ(doc["module"]["version"], kModuleVersion);
}

TEST(RenderJson, TopLevel) {
    const std::string json = render_json(rich_status_model(), RenderOptions{});
    EXPECT_EQ(json.rfind("{\n  \"schema\": \"mod_semguard.status/1\",\n", 0), 0u);
    for (const char* key :
         {"\n  \"generated_at\": 1714564800,", "\n  \"server\": {", "\n  \"kernel\": {",
          "\n  \"sysv_in_use\": true,", "\n  \"mutexes\": [", "\n  \"protection_enabled\": true,",
          "\n  \"sets\": [", "\n  \"startup\": {"})
        EXPECT_TRUE(contains(json, key)) << key;
    EXPECT_EQ(json.back(), '\n');
}

TEST(RenderJson, Fields) {
    const std::string json = render_json(rich_status_model(), RenderOptions{});
    for (const char* field : {"\"name\": \"www.example.org\"",
                              "\"mpm\": \"prefork\"",
                              "\"parent_pid\": 4242",
                              "\"uptime_seconds\": 93784",
                              "\"semmni\": 128",
                              "\"arrays\": 109",
                              "\"arrays_free\": 19",
                              "\"arrays_percent\": 85.16",
                              "\"state\": \"warn\"",
                              "\"warn_at_percent\": 80",
                              "\"undo_enforced\": false",
                              "\"semid\": 98304",
                              "\"mode\": \"0600\"",
                              "\"state\": \"held\"",
                              "\"waiting\": 3",
                              "\"last_pid\": 4301",
                              "\"last_pid_ours\": true",
                              "\"present\": false",
                              "\"identity_ok\": false",
                              "\"error\": \"(13)Permission denied: semctl(GETALL, 98310)\"",
                              "\"old_parent_pid\": 4100",
                              "\"reclaimed_total\": 3",
                              "\"kept_total\": 1",
                              "\"reason\": \"a process of the old run (pid 4177) is still alive\""})
        EXPECT_TRUE(contains(json, field)) << field;
    EXPECT_TRUE(contains(json, "\"lookalikes\": [\n      32768,\n      32769\n    ]"));
}

TEST(RenderJson, UnknownLimitGivesNullPercent) {
    StatusModel m = rich_status_model();
    m.limits.semmni = 0;
    const std::string json = render_json(m, RenderOptions{});
    EXPECT_EQ(json_error(json), "");
    EXPECT_TRUE(contains(json, "\"arrays_percent\": null"));
}

TEST(RenderJson, EmptyArraysForNoSysv) {
    const std::string json = render_json(no_sysv_status_model(), RenderOptions{});
    EXPECT_TRUE(contains(json, "\"sets\": []"));
    EXPECT_TRUE(contains(json, "\"sysv_in_use\": false"));
    EXPECT_TRUE(contains(json, "\"lookalikes\": []"));
}

TEST(RenderJson, HostileStringsAreEscaped) {
    const std::string json =
        render_json(status_model_with_all_strings(kHostileText), RenderOptions{});
    EXPECT_FALSE(contains(json, "<script"));
    EXPECT_TRUE(contains(json,
                         "\"name\": \"\\u003cscript\\u003ealert(\\\"x\\\")\\u003c/script\\u003e "
                         "\\u0026 'q' \\\\ back\\nslash\\r\\n\\t\\u0001\\u007f \\ufffd\\ufffd "
                         "\\ufffd\\ufffd end\""));
}

// Every member name the renderer writes is documented in README.md.
TEST(RenderJson, EveryFieldIsDocumented) {
    std::ifstream in(std::string(SEMGUARD_SOURCE_DIR) + "/README.md");
    ASSERT_TRUE(in) << "README.md is missing";
    std::stringstream doc;
    doc << in.rdbuf();

    StatusModel m = rich_status_model();
    m.startup.would_reclaim = m.startup.reclaimed;
    const std::string json = render_json(m, RenderOptions{});
    static const std::regex member("\"([a-z_]+)\": ");
    std::set<std::string> names;
    for (auto it = std::sregex_iterator(json.begin(), json.end(), member);
         it != std::sregex_iterator(); ++it)
        names.insert((*it)[1]);
    EXPECT_GT(names.size(), 50u);
    for (const std::string& name : names)
        EXPECT_TRUE(contains(doc.str(), "`" + name + "`")) << name << " is not documented";
    EXPECT_TRUE(contains(doc.str(), "mod_semguard.status/1"));
}

}  // namespace
}  // namespace semguard
