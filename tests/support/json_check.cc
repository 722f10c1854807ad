#include "json_check.h"

#include <set>
#include <vector>

namespace semguard::test {

namespace {

// Parses `text`; `duplicate` names the first member name an object repeats.
nlohmann::json parse_checked(std::string_view text, std::string& duplicate) {
    std::vector<std::set<std::string>> names;  // one per open object
    auto callback = [&](int /*depth*/, nlohmann::json::parse_event_t event,
                        nlohmann::json& parsed) {
        using Event = nlohmann::json::parse_event_t;
        if (event == Event::object_start) names.emplace_back();
        if (event == Event::object_end && !names.empty()) names.pop_back();
        if (event == Event::key && !names.empty() &&
            !names.back().insert(parsed.get<std::string>()).second && duplicate.empty())
            duplicate = parsed.get<std::string>();
        return true;
    };
    return nlohmann::json::parse(text.begin(), text.end(), callback);
}

}  // namespace

std::string json_error(std::string_view text) {
    std::string duplicate;
    try {
        parse_checked(text, duplicate);
    } catch (const nlohmann::json::exception& e) {
        return e.what();
    }
    if (!duplicate.empty()) return "an object repeats the member \"" + duplicate + "\"";
    return "";
}

nlohmann::json parse_json(std::string_view text) {
    return nlohmann::json::parse(text.begin(), text.end(), nullptr, false);
}

}  // namespace semguard::test
