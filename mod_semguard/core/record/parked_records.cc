#include "record/parked_records.h"

#include <dirent.h>
#include <stdio.h>

#include <algorithm>
#include <memory>

#include "text/codec.h"

namespace semguard {

namespace {

bool all_digits(const std::string& s) {
    return !s.empty() &&
           std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

}  // namespace

std::string parked_path(const std::string& state_path, const RunIdentity& run) {
    return state_path + ".parked." + std::to_string(static_cast<long>(run.parent_pid)) + "." +
           std::to_string(static_cast<unsigned long long>(run.parent_start_ticks));
}

std::vector<std::string> list_parked(const std::string& state_path) {
    std::vector<std::string> out;
    const std::string dir = dir_of(state_path);
    const std::string prefix = split_path(state_path).base + ".parked.";
    std::unique_ptr<DIR, int (*)(DIR*)> d(opendir(dir.c_str()), closedir);
    if (!d) return out;
    while (dirent* e = readdir(d.get())) {
        const std::string name = e->d_name;
        if (name.compare(0, prefix.size(), prefix) != 0) continue;
        const std::string rest = name.substr(prefix.size());
        const auto dot = rest.find('.');
        if (dot == std::string::npos || !all_digits(rest.substr(0, dot)) ||
            !all_digits(rest.substr(dot + 1)))
            continue;
        out.push_back(dir + "/" + name);
        if (out.size() >= 4 * kMaxParkedRecords) break;  // a directory flooded with names
    }
    std::sort(out.begin(), out.end());
    if (out.size() > kMaxParkedRecords) out.resize(kMaxParkedRecords);
    return out;
}

SysStatus park_state_file(const std::string& state_path, const RunIdentity& run) {
    const std::string to = parked_path(state_path, run);
    if (::rename(state_path.c_str(), to.c_str()) != 0)
        return sys_error_now("rename(" + state_path + ", " + to + ")");
    return {};
}

}  // namespace semguard
