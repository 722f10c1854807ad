#include "run/census.h"

#include <algorithm>
#include <map>

namespace semguard {

namespace {

std::string sets_word(long n) { return n == 1 ? " set" : " sets"; }

std::string list_rows(const std::vector<CensusRow>& rows, std::size_t names,
                      const char* more_what) {
    std::string out;
    for (std::size_t i = 0; i < rows.size() && i < names; ++i) {
        out += (i ? "; " : "") + rows[i].name + ": " + std::to_string(rows[i].sets);
        if (!rows[i].mechanism.empty()) out += ", " + rows[i].mechanism;
    }
    if (rows.size() > names) {
        long rest = 0;
        for (std::size_t i = names; i < rows.size(); ++i) rest += rows[i].sets;
        out += "; and " + std::to_string(rest) + sets_word(rest) + " of " +
               std::to_string(rows.size() - names) + " more " + more_what +
               " (the status page lists every set)";
    }
    return out;
}

}  // namespace

Census take_census(const std::vector<RecordedSet>& sets, const std::vector<MutexConfig>& mutexes) {
    std::map<std::string, long> by_type, by_origin;
    for (const auto& s : sets) {
        const bool in_table =
            !s.type.empty() && std::any_of(mutexes.begin(), mutexes.end(),
                                           [&](const MutexConfig& m) { return m.type == s.type; });
        if (in_table) ++by_type[s.type];
        // A typed set whose type is no longer in the table (a configuration
        // reload dropped its module) keeps its type as its name.
        else
            ++by_origin[!s.type.empty() ? s.type : !s.module.empty() ? s.module : "unknown"];
    }
    Census c;
    for (const auto& [type, n] : by_type) {
        std::string mech;
        for (const auto& m : mutexes)
            if (m.type == type) mech = m.mechanism;
        c.table.push_back({type, mech, n});
        c.table_sets += n;
    }
    for (const auto& [origin, n] : by_origin) {
        c.outside.push_back({origin, "", n});
        c.outside_sets += n;
    }
    std::stable_sort(c.outside.begin(), c.outside.end(),
                     [](const CensusRow& a, const CensusRow& b) {
                         const bool au = a.name == "unknown", bu = b.name == "unknown";
                         if (au != bu) return bu;  // "unknown" last
                         return a.sets > b.sets;
                     });
    return c;
}

std::string describe_census(const Census& c, std::size_t names) {
    if (names == 0) names = 1;
    const long total = c.table_sets + c.outside_sets;
    if (total == 0) return "this run holds no SysV semaphore sets now";
    std::string out = "this run holds " + std::to_string(total) + " SysV" + sets_word(total) +
                      " now: " + std::to_string(c.table_sets) + " of httpd's Mutex table";
    if (!c.table.empty()) out += " (" + list_rows(c.table, names, "mutex types") + ")";
    out += "; " + std::to_string(c.outside_sets) + " outside it";
    if (!c.outside.empty())
        out += ", SysV semaphores the modules create themselves (" +
               list_rows(c.outside, names, "origins") + ")";
    return out;
}

}  // namespace semguard
