// Replays the libFuzzer seed corpus (tests/fuzz/corpus/status_query) through the
// query parser and every renderer, so the harness's inputs are exercised by
// every ordinary test run, with the stricter checks only the unit tests have.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <cctype>
#include <sstream>
#include <string>
#include <vector>

#include "json_check.h"
#include "status/render_status.h"
#include "status_model_samples.h"
#include "status/status_query.h"
#include "text/utf8_sanitize.h"

namespace semguard {
namespace {

namespace fs = std::filesystem;

std::vector<fs::path> corpus_files() {
    std::vector<fs::path> files;
    const fs::path dir = fs::path(SEMGUARD_SOURCE_DIR) / "tests/fuzz/corpus/status_query";
    std::error_code ec;
    for (const auto& entry : fs::directory_iterator(dir, ec))
        if (entry.is_regular_file()) files.push_back(entry.path());
    std::sort(files.begin(), files.end());
    return files;
}

std::string read_bytes(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

void expect_auto_lines(const std::string& text, const std::string& context) {
    // ^[A-Za-z0-9_-]+: [^\x00-\x1f\x7f]*$ by hand: std::regex recurses per
    // character and overflows the stack on long lines under ASan.
    const auto line_format_ok = [](const std::string& l) {
        const size_t colon = l.find(": ");
        if (colon == std::string::npos || colon == 0) return false;
        for (size_t i = 0; i < colon; ++i) {
            const unsigned char c = static_cast<unsigned char>(l[i]);
            if (!std::isalnum(c) && c != '_' && c != '-') return false;
        }
        for (size_t i = colon + 2; i < l.size(); ++i) {
            const unsigned char c = static_cast<unsigned char>(l[i]);
            if (c < 0x20 || c == 0x7f) return false;
        }
        return true;
    };
    std::istringstream in(text);
    for (std::string line; std::getline(in, line);)
        EXPECT_TRUE(line_format_ok(line)) << context << ": " << line;
}

void render_everything(const StatusModel& model, const StatusQuery& query,
                       const std::string& name) {
    RenderOptions options;
    options.refresh = query.refresh;
    options.base_path = "/semguard-status";
    for (StatusFormat format :
         {StatusFormat::Html, StatusFormat::Auto, StatusFormat::Json, StatusFormat::Metrics}) {
        const std::string body = render_status(format, model, options);
        EXPECT_FALSE(body.empty()) << name << " " << to_string(format);
        EXPECT_EQ(sanitize_utf8(body), body) << name << " " << to_string(format);
        if (format == StatusFormat::Json) {
            EXPECT_EQ(test::json_error(body), "") << name;
        } else if (format == StatusFormat::Auto) {
            expect_auto_lines(body, name);
        } else if (format == StatusFormat::Html) {
            EXPECT_EQ(body.find("<script"), std::string::npos) << name;
        }
    }
}

TEST(StatusQueryCorpusReplay, CorpusIsThere) {
    EXPECT_GE(corpus_files().size(), 10u) << "tests/fuzz/corpus/status_query is missing or thin";
}

TEST(StatusQueryCorpusReplay, EveryInputParsesAndRenders) {
    const StatusModel rich = test::rich_status_model();
    for (const fs::path& file : corpus_files()) {
        const std::string input = read_bytes(file);
        const StatusQuery query = parse_status_query(std::string_view(input));
        if (!query.ok) {
            EXPECT_FALSE(query.error.empty()) << file;
        }
        if (query.refresh != 0) {
            EXPECT_GE(query.refresh, kMinRefreshSeconds) << file;
            EXPECT_LE(query.refresh, kMaxRefreshSeconds) << file;
        }
        render_everything(rich, query, file.filename().string());
        // The same bytes as every string of the model: the escapers' turn.
        render_everything(test::status_model_with_all_strings(input), query,
                          file.filename().string() + " (as model strings)");
    }
}

}  // namespace
}  // namespace semguard
