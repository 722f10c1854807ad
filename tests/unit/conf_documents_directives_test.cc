// The shipped configuration (conf/semguard.conf) and the README document every
// directive the module defines, and nothing else.
//
// The directive names are read from the text of mod_semguard/httpd/directive_names.h
// (the `constexpr const char* kX = "SemGuard..."` constants) rather than by
// including it: this binary must not see httpd or APR headers, and the header
// is the single place the command table takes its names from.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

namespace semguard {
namespace {

namespace fs = std::filesystem;

fs::path source_dir() { return fs::path(SEMGUARD_SOURCE_DIR); }

std::string read_text(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return {};
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
}

struct Constant {
    std::string symbol;  // kStateFile
    std::string value;   // SemGuardStateFile
};

// Every `constexpr const char* kName = "value";` of a header, in order.
std::vector<Constant> string_constants(const std::string& header) {
    static const std::regex re(
        R"re(constexpr\s+const\s+char\s*\*\s*(k[A-Za-z0-9_]+)\s*=\s*"([^"]*)"\s*;)re");
    std::vector<Constant> out;
    for (std::sregex_iterator it(header.begin(), header.end(), re), end; it != end; ++it)
        out.push_back({(*it)[1].str(), (*it)[2].str()});
    return out;
}

std::vector<Constant> directives() {
    std::vector<Constant> out;
    for (const Constant& c :
         string_constants(read_text(source_dir() / "mod_semguard/httpd/directive_names.h")))
        if (c.value.rfind("SemGuard", 0) == 0) out.push_back(c);
    return out;
}

std::string status_handler_name() {
    for (const Constant& c :
         string_constants(read_text(source_dir() / "mod_semguard/httpd/directive_names.h")))
        if (c.symbol == "kStatusHandler") return c.value;
    return {};
}

// Lines of conf/semguard.conf of the form `#SemGuardX value` (leading blanks
// allowed): directive name -> value as written.
std::map<std::string, std::string> commented_defaults(const std::string& conf) {
    static const std::regex re(R"re(^[ \t]*#[ \t]*(SemGuard[A-Za-z]+)[ \t]+(\S.*?)[ \t]*$)re");
    std::map<std::string, std::string> out;
    std::istringstream lines(conf);
    std::string line;
    while (std::getline(lines, line)) {
        std::smatch m;
        if (std::regex_match(line, m, re)) out.emplace(m[1].str(), m[2].str());
    }
    return out;
}

// "(default X)" in the help text of each AP_INIT_* entry of module_config.cc,
// by constant name. Entries without such a default are absent.
std::map<std::string, std::string> help_defaults(const std::string& source) {
    static const std::regex entry(R"re(AP_INIT_[A-Z0-9]+\s*\(\s*directive::(k[A-Za-z0-9_]+))re");
    static const std::regex deflt(R"re(\(default ([^):\s]+)\))re");
    std::vector<std::pair<std::string, size_t>> starts;
    for (std::sregex_iterator it(source.begin(), source.end(), entry), end; it != end; ++it)
        starts.emplace_back((*it)[1].str(), static_cast<size_t>(it->position()));
    std::map<std::string, std::string> out;
    for (size_t i = 0; i < starts.size(); ++i) {
        const size_t from = starts[i].second;
        size_t to =
            i + 1 < starts.size() ? starts[i + 1].second : source.find("nullptr, {nullptr}", from);
        if (to == std::string::npos) to = source.size();
        const std::string body = source.substr(from, to - from);
        std::smatch m;
        if (std::regex_search(body, m, deflt)) out.emplace(starts[i].first, m[1].str());
    }
    return out;
}

TEST(ConfDocumentsDirectives, HeaderDefinesDirectives) {
    const std::vector<Constant> names = directives();
    ASSERT_FALSE(names.empty()) << "no SemGuard* constant found in "
                                << source_dir() / "mod_semguard/httpd/directive_names.h";
    std::set<std::string> seen;
    for (const Constant& c : names) {
        EXPECT_TRUE(std::regex_match(c.value, std::regex("SemGuard[A-Za-z]+"))) << c.value;
        EXPECT_TRUE(seen.insert(c.value).second) << "defined twice: " << c.value;
    }
}

TEST(ConfDocumentsDirectives, ConfShowsEveryDirectiveAsCommentedDefault) {
    const fs::path path = source_dir() / "conf/semguard.conf";
    const std::string conf = read_text(path);
    ASSERT_FALSE(conf.empty()) << "cannot read " << path;
    const std::map<std::string, std::string> shown = commented_defaults(conf);
    for (const Constant& c : directives())
        EXPECT_EQ(shown.count(c.value), 1u)
            << path << " has no commented default line `#" << c.value << " value`";
}

TEST(ConfDocumentsDirectives, ConfDefaultsMatchTheCommandTable) {
    const std::string source = read_text(source_dir() / "mod_semguard/httpd/module_config.cc");
    ASSERT_FALSE(source.empty()) << "cannot read mod_semguard/httpd/module_config.cc";
    const std::map<std::string, std::string> help = help_defaults(source);
    const std::map<std::string, std::string> shown =
        commented_defaults(read_text(source_dir() / "conf/semguard.conf"));
    for (const Constant& c : directives()) {
        auto h = help.find(c.symbol);
        auto s = shown.find(c.value);
        if (h == help.end() || s == shown.end()) continue;  // no "(default X)" to compare
        EXPECT_EQ(s->second, h->second)
            << "conf/semguard.conf shows `#" << c.value << " " << s->second
            << "` but the command table's help says (default " << h->second << ")";
    }
}

TEST(ConfDocumentsDirectives, ConfMentionsNoUnknownDirective) {
    const std::string conf = read_text(source_dir() / "conf/semguard.conf");
    ASSERT_FALSE(conf.empty());
    std::set<std::string> known;
    for (const Constant& c : directives()) known.insert(c.value);
    static const std::regex word("SemGuard[A-Za-z]+");
    for (std::sregex_iterator it(conf.begin(), conf.end(), word), end; it != end; ++it)
        EXPECT_EQ(known.count(it->str()), 1u)
            << "conf/semguard.conf mentions " << it->str() << ", which the module does not define";
}

TEST(ConfDocumentsDirectives, ConfServesTheStatusHandler) {
    const std::string handler = status_handler_name();
    ASSERT_FALSE(handler.empty()) << "kStatusHandler not found in directive_names.h";
    const std::string conf = read_text(source_dir() / "conf/semguard.conf");
    EXPECT_TRUE(
        std::regex_search(conf, std::regex("\\n[ \\t]*SetHandler[ \\t]+" + handler + "[ \\t]*\\n")))
        << "conf/semguard.conf has no `SetHandler " << handler << "`";
    EXPECT_NE(conf.find("<IfModule semguard_module>"), std::string::npos);
}

TEST(ConfDocumentsDirectives, LoadFileNamesTheModule) {
    const std::string load = read_text(source_dir() / "conf/semguard.load");
    EXPECT_TRUE(std::regex_search(
        load,
        std::regex(
            "(^|\\n)LoadModule semguard_module /usr/lib/apache2/modules/mod_semguard\\.so\\n")))
        << "conf/semguard.load: " << load;
}

TEST(ConfDocumentsDirectives, ReadmeDocumentsEveryDirective) {
    const fs::path path = source_dir() / "README.md";
    const std::string readme = read_text(path);
    ASSERT_FALSE(readme.empty()) << "cannot read " << path;
    for (const Constant& c : directives()) {
        EXPECT_TRUE(std::regex_search(readme, std::regex("\\b" + c.value + "\\b")))
            << path << " does not mention " << c.value;
    }
}

}  // namespace
}  // namespace semguard
