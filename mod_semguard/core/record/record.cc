#include "record/record.h"

#include <string_view>

#include "text/codec.h"

namespace semguard {

std::string InstanceIdentity::digest() const {
    // After each path a byte no path contains, so ("ab","c") and ("a","bc") differ.
    const std::string_view separator("\xff", 1);
    uint64_t h = kFnv1aOffset;
    for (const std::string* path : {&server_root, &config_file, &pid_file})
        h = fnv1a_64(separator, fnv1a_64(*path, h));
    return hex16(h);
}

const char* to_string(RunPhase phase) {
    switch (phase) {
        case RunPhase::Starting: return "starting";
        case RunPhase::Running: return "running";
        case RunPhase::Stopped: return "stopped";
    }
    return "unknown";
}

bool same_set(const SetInfo& r, const SetInfo& l) {
    return r.semid == l.semid && r.key == l.key && r.cuid == l.cuid && r.cgid == l.cgid &&
           r.uid == l.uid && r.gid == l.gid && r.mode == l.mode && r.nsems == l.nsems &&
           r.ctime == l.ctime;
}

}  // namespace semguard
