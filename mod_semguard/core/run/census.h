// The census of a pass (SG0135): the run's SysV sets that exist at the end of a
// real pass, by mutex type of httpd's Mutex table with its effective mechanism,
// and those from outside the table (other modules' own APR mutexes) by module,
// or "unknown". SG0101 is logged before the pass creates anything, while other
// modules have not run yet; the census is only known once they have.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "mutex/mutex_config.h"
#include "record/record.h"

namespace semguard {

struct CensusRow {
    std::string name;       // mutex type, or the module ("mod_x.c"), or "unknown"
    std::string mechanism;  // the type's effective mechanism; "" outside the table
    long sets = 0;
};

struct Census {
    std::vector<CensusRow> table;    // types of httpd's Mutex table holding sets, by name
    std::vector<CensusRow> outside;  // by module, most sets first; "unknown" last
    long table_sets = 0;
    long outside_sets = 0;
};

Census take_census(const std::vector<RecordedSet>& sets, const std::vector<MutexConfig>& mutexes);

// One line, bounded: at most `names` names per part; the rest are counted and
// the status page named as the place that lists them.
// "this run holds 4 SysV sets now: 2 of httpd's Mutex table (mpm-accept: 1,
// sysvsem; ssl-cache: 1, sysvsem); 2 outside it, SysV semaphores the modules
// create themselves (mod_leaktest.c: 1; unknown: 1)"
std::string describe_census(const Census& c, std::size_t names = 8);

}  // namespace semguard
