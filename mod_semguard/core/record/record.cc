#include "record/record.h"

#include <cstdio>

namespace semguard {

namespace {
uint64_t fnv1a(uint64_t h, const std::string& s) {
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    // a separator no path contains, so ("ab","c") and ("a","bc") differ
    h ^= 0xff;
    h *= 1099511628211ULL;
    return h;
}
}  // namespace

std::string InstanceIdentity::digest() const {
    uint64_t h = 14695981039346656037ULL;
    h = fnv1a(h, server_root);
    h = fnv1a(h, config_file);
    h = fnv1a(h, pid_file);
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
    return buf;
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
