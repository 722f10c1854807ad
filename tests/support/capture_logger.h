// A Logger that keeps every line, for tests that assert on what the engine
// said: which tags, how often, at which level, with which words. Every line is
// also held to the catalogue: a tagged line must be logged at its tag's level
// (log/messages.cc), an untagged one below notice. A violation fails the test
// that logged it, so every engine test checks the levels of what it logs.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include <gtest/gtest.h>

#include "log/logger.h"
#include "log/messages.h"

namespace semguard {

struct CapturedLine {
    Level level;
    std::string tag;
    std::string text;
};

inline const char* level_name(Level level) {
    switch (level) {
        case Level::Emerg: return "emerg";
        case Level::Alert: return "alert";
        case Level::Crit: return "crit";
        case Level::Error: return "error";
        case Level::Warn: return "warn";
        case Level::Notice: return "notice";
        case Level::Info: return "info";
        case Level::Debug: return "debug";
    }
    return "?";
}

// The catalogue's entry for `tag`, or nullptr.
inline const MessageSpec* catalogue_entry(const std::string& tag) {
    for (std::size_t i = 0; i < kMessageSpecCount; ++i)
        if (tag == kMessageSpecs[i].tag) return &kMessageSpecs[i];
    return nullptr;
}

// "" when a line at `level` with `tag` is what the catalogue allows, else why not.
inline std::string catalogue_violation(Level level, const std::string& tag) {
    if (tag.empty())
        return level <= Level::Notice ? std::string("an untagged line at ") + level_name(level) +
                                            " (notice and above need a tag)"
                                      : "";
    const MessageSpec* spec = catalogue_entry(tag);
    if (!spec) return tag + " is not in the catalogue (log/messages.cc)";
    if (spec->level != level)
        return tag + " logged at " + level_name(level) + ", the catalogue says " +
               level_name(spec->level);
    return "";
}

class CaptureLogger : public Logger {
public:
    void log(Level level, const char* tag, const std::string& text) override {
        const std::string t = tag ? tag : "";
        const std::string violation = catalogue_violation(level, t);
        if (check_catalogue && !violation.empty()) ADD_FAILURE() << violation << ": " << text;
        lines_.push_back({level, t, text});
    }

    // Off only in tests of the logging machinery itself, which log made-up tags.
    bool check_catalogue = true;

    const std::vector<CapturedLine>& lines() const { return lines_; }
    void clear() { lines_.clear(); }
    bool empty() const { return lines_.empty(); }

    // How many lines carry `tag`.
    std::size_t count(const std::string& tag) const {
        std::size_t n = 0;
        for (const auto& l : lines_) n += l.tag == tag;
        return n;
    }

    // The lines with `tag`, in order.
    std::vector<CapturedLine> with_tag(const std::string& tag) const {
        std::vector<CapturedLine> out;
        for (const auto& l : lines_)
            if (l.tag == tag) out.push_back(l);
        return out;
    }

    // The first line with `tag`; when there is none, an empty line at Debug
    // level, so that a test can index without crashing and still fail.
    CapturedLine first(const std::string& tag) const {
        for (const auto& l : lines_)
            if (l.tag == tag) return l;
        return {Level::Debug, "", ""};
    }

    // The text of the first line with `tag`, or "" when there is none.
    std::string text_of(const std::string& tag) const {
        for (const auto& l : lines_)
            if (l.tag == tag) return l.text;
        return "";
    }

    // True when a line with `tag` contains `needle`.
    bool has(const std::string& tag, const std::string& needle = "") const {
        for (const auto& l : lines_)
            if (l.tag == tag && l.text.find(needle) != std::string::npos) return true;
        return false;
    }

    // The distinct tags, in order of first appearance.
    std::vector<std::string> tags() const {
        std::vector<std::string> out;
        for (const auto& l : lines_) {
            bool seen = false;
            for (const auto& t : out) seen |= t == l.tag;
            if (!seen) out.push_back(l.tag);
        }
        return out;
    }

    // Everything, one line each, for failure messages: "[warn] SG0203: ...".
    std::string dump() const {
        std::string out;
        for (const auto& l : lines_)
            out += std::string("[") + level_name(l.level) + "] " + l.tag + ": " + l.text + "\n";
        return out.empty() ? "(nothing logged)\n" : out;
    }

private:
    std::vector<CapturedLine> lines_;
};

}  // namespace semguard
