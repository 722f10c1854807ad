#include "mutex/mutex_config.h"

#include <algorithm>
#include <map>
#include <sstream>

namespace semguard {

namespace {

struct RawLine {
    std::string type;
    std::string configured;  // using_defaults | none | mechanism as printed
    std::string dir;
};

bool parse_line(const std::string& line, RawLine& out) {
    // "Mutex <type>: using_defaults" | "Mutex <type>: none"
    // | "Mutex <type>: dir=\"<dir>\" mechanism=<mech> [OmitPid]"
    static const std::string prefix = "Mutex ";
    if (line.compare(0, prefix.size(), prefix) != 0) return false;
    const auto colon = line.find(": ", prefix.size());
    if (colon == std::string::npos || colon == prefix.size()) return false;
    out.type = line.substr(prefix.size(), colon - prefix.size());
    std::string rest = line.substr(colon + 2);
    while (!rest.empty() && (rest.back() == ' ' || rest.back() == '\r')) rest.pop_back();
    if (rest == "using_defaults" || rest == "none") {
        out.configured = rest;
        return true;
    }
    static const std::string dir_key = "dir=\"";
    if (rest.compare(0, dir_key.size(), dir_key) != 0) return false;
    const auto dir_end = rest.find("\" mechanism=", dir_key.size());
    if (dir_end == std::string::npos) return false;
    out.dir = rest.substr(dir_key.size(), dir_end - dir_key.size());
    std::string mech = rest.substr(dir_end + std::string("\" mechanism=").size());
    const auto space = mech.find(' ');
    if (space != std::string::npos) mech.resize(space);
    if (mech.empty()) return false;
    out.configured = mech;
    return true;
}

bool needs_dir(const std::string& mech) { return mech == "fcntl" || mech == "flock"; }

}  // namespace

MutexConfigResult parse_mutex_dump(const std::string& dump, const std::string& apr_default) {
    MutexConfigResult result;
    std::map<std::string, RawLine> raw;
    std::istringstream in(dump);
    std::string line;
    while (std::getline(in, line)) {
        if (line.empty()) continue;
        RawLine parsed;
        if (!parse_line(line, parsed)) {
            result.errors.push_back(line);
            continue;
        }
        raw[parsed.type] = parsed;
    }

    // The "default" entry decides every type that uses the defaults.
    RawLine def{"default", "default", ""};
    if (auto it = raw.find("default"); it != raw.end()) def = it->second;
    auto resolve = [&](const std::string& configured) {
        return configured == "default" ? apr_default : configured;
    };

    for (const auto& [type, line_info] : raw) {
        MutexConfig m;
        m.type = type;
        m.configured = line_info.configured;
        if (line_info.configured == "using_defaults") {
            m.mechanism = resolve(def.configured);
            m.dir = def.dir;
        } else if (line_info.configured == "none") {
            m.mechanism = "none";
        } else {
            m.mechanism = resolve(line_info.configured);
            m.dir = line_info.dir;
        }
        if (!needs_dir(m.mechanism)) m.dir.clear();
        result.mutexes.push_back(m);
    }
    return result;
}

}  // namespace semguard
