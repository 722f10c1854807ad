#include "diagnosis/owners.h"

#include <pwd.h>

#include <algorithm>
#include <map>

namespace semguard {

namespace {
// A passwd name goes into log lines and labels: printable ASCII, bounded.
std::string clean_name(const std::string& s) {
    std::string out;
    for (char c : s.substr(0, 64)) {
        const unsigned char u = static_cast<unsigned char>(c);
        out += (u < 0x21 || u >= 0x7f) ? '?' : c;
    }
    return out;
}
}  // namespace

OwnerBreakdown owner_breakdown(const std::vector<SetInfo>& sets, const std::set<int>& ours,
                               const std::set<int>& httpd_like,
                               const std::function<std::string(uid_t)>& name_of, std::size_t top) {
    std::map<uid_t, OwnerUse> by_uid;
    for (const auto& s : sets) {
        OwnerUse& u = by_uid[s.uid];
        u.uid = s.uid;
        ++u.sets;
        u.semaphores += static_cast<long>(s.nsems);
        if (ours.count(s.semid))
            ++u.ours;
        else if (httpd_like.count(s.semid))
            ++u.httpd_like;
    }
    std::vector<OwnerUse> rows;
    rows.reserve(by_uid.size());
    for (auto& [uid, u] : by_uid) rows.push_back(u);
    std::sort(rows.begin(), rows.end(), [](const OwnerUse& a, const OwnerUse& b) {
        if (a.sets != b.sets) return a.sets > b.sets;
        if (a.semaphores != b.semaphores) return a.semaphores > b.semaphores;
        return a.uid < b.uid;
    });
    OwnerBreakdown out;
    out.total_owners = static_cast<long>(rows.size());
    if (top == 0) top = 1;
    if (rows.size() > top) {
        OwnerUse rest;
        rest.owner = "others";
        rest.others = true;
        rest.owners = 0;
        for (std::size_t i = top; i < rows.size(); ++i) {
            ++rest.owners;
            rest.sets += rows[i].sets;
            rest.semaphores += rows[i].semaphores;
            rest.ours += rows[i].ours;
            rest.httpd_like += rows[i].httpd_like;
        }
        rows.resize(top);
        rows.push_back(rest);
    }
    for (auto& r : rows) {
        if (r.others) continue;
        std::string name = name_of ? clean_name(name_of(r.uid)) : std::string();
        // "others" is the folded row's label: a user of that name is shown by number.
        r.owner = name.empty() || name == "others" ? std::to_string(r.uid) : name;
    }
    out.rows = std::move(rows);
    return out;
}

std::string describe_owners(const OwnerBreakdown& b) {
    std::string out;
    for (const auto& r : b.rows) {
        std::string one = r.others ? std::to_string(r.owners) + " other owners" : r.owner;
        one += ": " + std::to_string(r.sets) + (r.sets == 1 ? " set, " : " sets, ") +
               std::to_string(r.semaphores) + (r.semaphores == 1 ? " semaphore" : " semaphores");
        if (r.ours || r.httpd_like) {
            one += " (";
            if (r.ours) one += std::to_string(r.ours) + " this server's";
            if (r.ours && r.httpd_like) one += ", ";
            if (r.httpd_like) one += std::to_string(r.httpd_like) + " look like httpd's";
            one += ")";
        }
        out += (out.empty() ? "" : "; ") + one;
    }
    return out.empty() ? "no sets" : out;
}

std::string passwd_user_name(uid_t uid) {
    struct passwd pw, *found = nullptr;
    std::vector<char> buf(4096);
    if (getpwuid_r(uid, &pw, buf.data(), buf.size(), &found) == 0 && found && pw.pw_name)
        return pw.pw_name;
    return "";
}

}  // namespace semguard
