#include "record/record_format.h"

#include <climits>
#include <cstdint>
#include <iterator>
#include <limits>

namespace semguard::state_format {

namespace {

// (uid_t)-1 means "leave unchanged" to chown and IPC_SET; it never owns anything.
constexpr uid_t kMaxUid = std::numeric_limits<uid_t>::max() - 1;
constexpr gid_t kMaxGid = std::numeric_limits<gid_t>::max() - 1;
constexpr unsigned long kMaxNsems = 65535;

// One generic lambda gives both directions.
template <class Owner, class Code>
Field<Owner> field(const char* name, Code code) {
    return {name, code, code};
}

// A field that may be missing at the end of a line, written only when `present`.
template <class Owner, class Code>
Field<Owner> optional_field(const char* name, Code code, bool (*present)(const Owner&)) {
    return {name, code, code, present};
}

const Field<Record> kHeaderRows[] = {
    field<Record>("instance.server_root",
                  [](auto& io, auto& r) { io.text(r.instance.server_root); }),
    field<Record>("instance.config_file",
                  [](auto& io, auto& r) { io.text(r.instance.config_file); }),
    field<Record>("instance.pid_file", [](auto& io, auto& r) { io.text(r.instance.pid_file); }),
    field<Record>("run.parent_pid", [](auto& io, auto& r) { io.pid(r.run.parent_pid); }),
    field<Record>("run.parent_start_ticks",
                  [](auto& io, auto& r) { io.number(r.run.parent_start_ticks, 0, UINT64_MAX); }),
    field<Record>("run.boot_id", [](auto& io, auto& r) { io.text(r.run.boot_id); }),
    field<Record>("run.euid", [](auto& io, auto& r) { io.number(r.run.euid, 0, kMaxUid); }),
    field<Record>("run.anchor_shmid",
                  [](auto& io, auto& r) { io.number(r.run.anchor_shmid, -1, INT_MAX); }),
    // 0 only when there is no anchor; checked once the whole header is read
    field<Record>("run.anchor_creator",
                  [](auto& io, auto& r) { io.number(r.run.anchor_creator, 0, kMaxPid); }),
    field<Record>("run.anchor_ctime", [](auto& io, auto& r) { io.time(r.run.anchor_ctime); }),
    field<Record>("run.started_at", [](auto& io, auto& r) { io.time(r.run.started_at); }),
    // The IPC namespace the run's ids belong to; older files lack it.
    optional_field<Record>(
        "run.ipc_ns", [](auto& io, auto& r) { io.number(r.run.ipc_namespace, 1, UINT64_MAX); },
        [](const Record& r) { return r.run.ipc_namespace != 0; }),
    field<Record>("phase", [](auto& io, auto& r) { io.phase(r.phase); }),
    field<Record>("generation", [](auto& io, auto& r) { io.number(r.generation, 0, LONG_MAX); }),
    field<Record>("written_at", [](auto& io, auto& r) { io.time(r.written_at); }),
};

const Field<RecordedSet> kSetRows[] = {
    field<RecordedSet>("semid", [](auto& io, auto& s) { io.number(s.identity.semid, 0, INT_MAX); }),
    field<RecordedSet>("key", [](auto& io, auto& s) { io.key(s.identity.key); }),
    field<RecordedSet>("uid", [](auto& io, auto& s) { io.number(s.identity.uid, 0, kMaxUid); }),
    field<RecordedSet>("gid", [](auto& io, auto& s) { io.number(s.identity.gid, 0, kMaxGid); }),
    field<RecordedSet>("cuid", [](auto& io, auto& s) { io.number(s.identity.cuid, 0, kMaxUid); }),
    field<RecordedSet>("cgid", [](auto& io, auto& s) { io.number(s.identity.cgid, 0, kMaxGid); }),
    field<RecordedSet>("mode", [](auto& io, auto& s) { io.mode(s.identity.mode); }),
    field<RecordedSet>("nsems",
                       [](auto& io, auto& s) { io.number(s.identity.nsems, 1, kMaxNsems); }),
    field<RecordedSet>("otime", [](auto& io, auto& s) { io.time(s.identity.otime); }),
    field<RecordedSet>("ctime", [](auto& io, auto& s) { io.time(s.identity.ctime); }),
    field<RecordedSet>("creator_pid", [](auto& io, auto& s) { io.pid(s.creator_pid); }),
    field<RecordedSet>("generation",
                       [](auto& io, auto& s) { io.number(s.generation, 0, LONG_MAX); }),
    field<RecordedSet>("protected", [](auto& io, auto& s) { io.yes_no(s.is_protected); }),
    field<RecordedSet>("type", [](auto& io, auto& s) { io.text(s.type); }),
    // The module that made a set outside httpd's Mutex table, when known.
    optional_field<RecordedSet>(
        "module", [](auto& io, auto& s) { io.text(s.module); },
        [](const RecordedSet& s) { return !s.module.empty(); }),
};

const Field<OutsideRemoval> kRemovedRows[] = {
    field<OutsideRemoval>("semid", [](auto& io, auto& o) { io.number(o.semid, 0, INT_MAX); }),
    field<OutsideRemoval>("type", [](auto& io, auto& o) { io.text(o.type); }),
    field<OutsideRemoval>("detected_at", [](auto& io, auto& o) { io.time(o.detected_at); }),
};

static_assert(std::size(kSetRows) + 1 <= Fields::kMax, "Fields::kMax must hold a set line");

}  // namespace

const FieldTable<Record> kHeader{kHeaderRows, std::size(kHeaderRows)};
const FieldTable<RecordedSet> kSetFields{kSetRows, std::size(kSetRows)};
const FieldTable<OutsideRemoval> kRemovedFields{kRemovedRows, std::size(kRemovedRows)};

}  // namespace semguard::state_format
