#include "record_samples.h"

#include <cstdint>
#include <cstdio>

namespace semguard::test {

RecordedSet make_set(int semid, const std::string& type) {
    RecordedSet s;
    s.identity.semid = semid;
    s.identity.key = 0x0001e240;
    s.identity.uid = 0;
    s.identity.gid = 33;
    s.identity.cuid = 0;
    s.identity.cgid = 0;
    s.identity.mode = 0660;
    s.identity.nsems = 1;
    s.identity.otime = 1700000050;
    s.identity.ctime = 1700000001;
    s.type = type;
    s.creator_pid = 4242;
    s.generation = 2;
    s.is_protected = true;
    return s;
}

Record sample_record() {
    Record r;
    r.instance = {"/etc/apache2", "/etc/apache2/apache2.conf", "/run/apache2/apache2.pid"};
    r.run.parent_pid = 4242;
    r.run.parent_start_ticks = 1234567;
    r.run.boot_id = "0b5e3c1a-9d55-4a43-8f7e-1f1e5c3b2a10";
    r.run.euid = 0;
    r.run.anchor_shmid = 32769;
    r.run.anchor_creator = 4242;
    r.run.anchor_ctime = 1700000000;
    r.run.started_at = 1700000000;
    r.phase = RunPhase::Running;
    r.generation = 2;
    r.written_at = 1700000123;
    r.sets = {make_set(98304, "mpm-accept"), make_set(98305, "")};
    r.sets[1].is_protected = false;
    r.removed_outside = {OutsideRemoval{98306, "ssl-cache", 1700000100}};
    return r;
}

std::string reseal(std::string text) {
    const size_t end_line = text.rfind("\nend ");
    if (end_line != std::string::npos) text.resize(end_line + 1);
    uint64_t h = 14695981039346656037ULL;
    size_t lines = 0;
    for (unsigned char c : text) {
        h = (h ^ c) * 1099511628211ULL;
        if (c == '\n') ++lines;
    }
    char checksum[17];
    std::snprintf(checksum, sizeof checksum, "%016llx", static_cast<unsigned long long>(h));
    return text + "end " + std::to_string(lines) + " " + checksum + "\n";
}

}  // namespace semguard::test
