// A Logger that keeps every line, for tests that assert on what the engine
// said: which tags, how often, at which level, with which words.
#pragma once

#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "log/logger.h"

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

class CaptureLogger : public Logger {
public:
    void log(Level level, const char* tag, const std::string& text) override {
        lines_.push_back({level, tag ? tag : "", text});
    }

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
