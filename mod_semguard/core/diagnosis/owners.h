// Who holds the SysV semaphore sets: when SEMMNI is nearly full, the first
// question. One row per owner uid (sem_perm.uid), largest first, bounded: the
// rows past `top` are summed into one "others" row.
#pragma once

#include <sys/types.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "kernel/sem_kernel.h"

namespace semguard {

struct OwnerUse {
    std::string owner;  // user name, or the number; "others" for the folded rest
    uid_t uid = 0;
    bool others = false;
    long owners = 1;  // owners summed in this row (>1 only for "others")
    long sets = 0;
    long semaphores = 0;
    long ours = 0;        // sets of this server (recorded in its run)
    long httpd_like = 0;  // sets that look like httpd's but are not this server's
};

struct OwnerBreakdown {
    std::vector<OwnerUse> rows;  // at most top + 1
    long total_owners = 0;
};

constexpr std::size_t kOwnerRowsShown = 10;

// `name_of` turns a uid into a user name ("" when unknown: the number is shown).
OwnerBreakdown owner_breakdown(const std::vector<SetInfo>& sets, const std::set<int>& ours,
                               const std::set<int>& httpd_like,
                               const std::function<std::string(uid_t)>& name_of,
                               std::size_t top = kOwnerRowsShown);

// "root: 3 sets, 3 semaphores (3 this server's); postgres: 10 sets, 170 semaphores; ..."
std::string describe_owners(const OwnerBreakdown& b);

}  // namespace semguard

namespace semguard {
// The passwd name of a uid ("" when there is none); the one lookup of names
// the breakdown uses, bounded in time by the C library.
std::string passwd_user_name(uid_t uid);
}  // namespace semguard
