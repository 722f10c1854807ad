// The committed corpus of one fuzz harness (tests/fuzz/corpus/<harness>), for
// the replay tests that run it on every test run without clang or libFuzzer.
// File names carry intent there: valid-* must be accepted, broken-* refused,
// anything else (a fuzzer's find) only the harness's properties.
#pragma once

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace semguard::test {

struct CorpusFile {
    std::string name;
    std::string bytes;
};

inline std::filesystem::path corpus_dir(const std::string& harness) {
    return std::filesystem::path(SEMGUARD_SOURCE_DIR) / "tests/fuzz/corpus" / harness;
}

// Every regular file of the corpus, sorted by name; none if it is missing.
inline std::vector<CorpusFile> read_corpus(const std::string& harness) {
    std::vector<CorpusFile> files;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(corpus_dir(harness), ec)) {
        if (!entry.is_regular_file()) continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::stringstream bytes;
        bytes << in.rdbuf();
        files.push_back({entry.path().filename().string(), bytes.str()});
    }
    std::sort(files.begin(), files.end(),
              [](const CorpusFile& a, const CorpusFile& b) { return a.name < b.name; });
    return files;
}

inline bool starts_with(const std::string& s, const char* prefix) {
    return s.rfind(prefix, 0) == 0;
}

}  // namespace semguard::test
