#include "record/record_codec.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cinttypes>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <new>
#include <optional>
#include <type_traits>
#include <unordered_map>

#include "text/codec.h"

namespace semguard {

namespace {

constexpr std::string_view kMagic = "mod_semguard state ";

// ---- strings ---------------------------------------------------------------

bool is_plain_byte(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return c != '\0' && std::strchr("._~/:@+,=-", c) != nullptr;
}

std::string percent_encode(std::string_view s) {
    if (s.empty()) return "-";
    if (s == "-") return "%2D";
    std::string out;
    out.reserve(s.size());
    append_percent_encoded(out, s, is_plain_byte);
    return out;
}

bool percent_decode(std::string_view field, std::string& out) {
    if (field == "-") {
        out.clear();
        return true;
    }
    return semguard::percent_decode(field, is_plain_byte, out);
}

// A piece of the file that is safe to put in a log line: percent-encoded (no
// control bytes, no newlines) and short.
std::string quoted(std::string_view s) {
    constexpr size_t kShown = 40;
    std::string out = "'" + percent_encode(s.substr(0, kShown));
    if (s.size() > kShown) out += "...";
    return out + "'";
}

// ---- fields ----------------------------------------------------------------

// Each reader returns what is wrong with the field, or nullopt when it is fine.
using Problem = std::optional<std::string>;

// A decimal integer as encode_record writes it: optional '-', digits, no '+',
// no leading zeros (no "010" that a reader could take for octal), within [lo, hi].
template <class T>
Problem read_number(std::string_view field, const char* name, T lo, T hi, T& out) {
    const bool negative = !field.empty() && field[0] == '-';
    const std::string_view digits = negative ? field.substr(1) : field;
    const bool all_digits =
        !digits.empty() && digits.find_first_not_of("0123456789") == std::string_view::npos;
    if (!all_digits || (digits.size() > 1 && digits[0] == '0') || (negative && digits == "0"))
        return std::string(name) + " is not a number";

    const auto out_of_range = [&] {
        // only digits by now, so safe to show; a 4000-digit number is not shown
        const std::string shown = field.size() <= 24 ? std::string(field) + " " : "";
        return std::string(name) + " " + shown + "is out of range " + std::to_string(lo) + ".." +
               std::to_string(hi);
    };
    if (negative && std::is_unsigned_v<T>) return out_of_range();

    T value{};
    const auto [end, ec] = std::from_chars(field.data(), field.data() + field.size(), value);
    if (ec == std::errc::result_out_of_range) return out_of_range();
    if (ec != std::errc() || end != field.data() + field.size())
        return std::string(name) + " is not a number";
    if (value < lo || value > hi) return out_of_range();
    out = value;
    return std::nullopt;
}

constexpr pid_t kMaxPid = std::numeric_limits<pid_t>::max();
constexpr int64_t kMaxTime = std::numeric_limits<int64_t>::max();
// (uid_t)-1 means "leave unchanged" to chown and IPC_SET; it never owns anything.
constexpr uid_t kMaxUid = std::numeric_limits<uid_t>::max() - 1;
constexpr gid_t kMaxGid = std::numeric_limits<gid_t>::max() - 1;
constexpr unsigned long kMaxNsems = 65535;

Problem read_pid(std::string_view field, const char* name, pid_t& out) {
    return read_number<pid_t>(field, name, 1, kMaxPid, out);
}

Problem read_time(std::string_view field, const char* name, int64_t& out) {
    return read_number<int64_t>(field, name, 0, kMaxTime, out);
}

Problem read_string(std::string_view field, const char* name, std::string& out) {
    if (!percent_decode(field, out))
        return std::string(name) +
               " is not percent-encoded (bytes outside A-Za-z0-9._~/:@+,=- "
               "must be written as %XX)";
    return std::nullopt;
}

// "0x0001e240", as ipcs prints keys.
Problem read_key(std::string_view field, int32_t& out) {
    const Problem bad = std::string("key is not a hex number like 0x0001e240");
    if (field.size() < 3 || field.size() > 10 || field[0] != '0' || field[1] != 'x') return bad;
    uint32_t value = 0;
    for (char c : field.substr(2)) {
        const int digit = hex_digit_value(c);
        if (digit < 0) return bad;
        value = value * 16 + static_cast<uint32_t>(digit);
    }
    out = static_cast<int32_t>(value);
    return std::nullopt;
}

Problem read_mode(std::string_view field, unsigned& out) {
    if (field.empty() || field.find_first_not_of("01234567") != std::string_view::npos)
        return std::string("mode is not an octal number");
    const size_t first_nonzero = std::min(field.find_first_not_of('0'), field.size());
    const std::string_view significant = field.substr(first_nonzero);
    // three octal digits are at most 0777: no setuid/sticky bits, no overflow
    if (significant.size() > 3) return std::string("mode is out of range (at most 0777)");
    unsigned value = 0;
    for (char c : significant) value = value * 8 + static_cast<unsigned>(c - '0');
    out = value;
    return std::nullopt;
}

Problem read_yes_no(std::string_view field, const char* name, bool& out) {
    if (field == "yes") {
        out = true;
    } else if (field == "no") {
        out = false;
    } else {
        return std::string(name) + " must be yes or no";
    }
    return std::nullopt;
}

Problem read_phase(std::string_view field, RunPhase& out) {
    for (RunPhase p : {RunPhase::Starting, RunPhase::Running, RunPhase::Stopped}) {
        if (field == to_string(p)) {
            out = p;
            return std::nullopt;
        }
    }
    return "unknown phase " + quoted(field);
}

// ---- lines -----------------------------------------------------------------

// The fields of one line, split at single spaces, without allocating.
struct Fields {
    static constexpr size_t kMax = 16;  // a set line has 15 or 16
    std::array<std::string_view, kMax> at;
    size_t count = 0;
};

Problem split_fields(std::string_view line, Fields& out) {
    out.count = 0;
    size_t start = 0;
    while (true) {
        const size_t space = line.find(' ', start);
        const std::string_view field = line.substr(start, space - start);
        if (field.empty())
            return std::string("empty field (fields are separated by exactly one space)");
        if (out.count == Fields::kMax) return std::string("too many fields");
        out.at[out.count++] = field;
        if (space == std::string_view::npos) return std::nullopt;
        start = space + 1;
    }
}

// ---- the format: one table per kind of line --------------------------------
//
// Each field is named and coded once, below; decoding and encoding both walk
// these tables, so the two cannot drift apart. A field's code is one generic
// lambda that calls the same method on a FieldReader (decoding) or a
// FieldWriter (encoding). To add a header key, add a row to kHeader; a field of
// a set line, a row to kSetFields (the legend line follows by itself).

template <class T>
using Same = typename std::common_type<T>::type;  // not deduced: T comes from the field

class FieldReader {
public:
    FieldReader(std::string_view value, const char* name) : value_(value), name_(name) {}
    Problem problem;

    template <class T>
    void number(T& v, Same<T> lo, Same<T> hi) { problem = read_number<T>(value_, name_, lo, hi, v); }
    void pid(pid_t& v) { problem = read_pid(value_, name_, v); }
    void time(int64_t& v) { problem = read_time(value_, name_, v); }
    void text(std::string& v) { problem = read_string(value_, name_, v); }
    void key(int32_t& v) { problem = read_key(value_, v); }
    void mode(unsigned& v) { problem = read_mode(value_, v); }
    void yes_no(bool& v) { problem = read_yes_no(value_, name_, v); }
    void phase(RunPhase& v) { problem = read_phase(value_, v); }

private:
    std::string_view value_;
    const char* name_;
};

// "0x0001e240", as ipcs prints keys.
std::string key_text(int32_t key) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08" PRIx32, static_cast<uint32_t>(key));
    return buf;
}

class FieldWriter {
public:
    explicit FieldWriter(std::string& out) : out_(out) {}

    template <class T>
    void number(const T& v, Same<T>, Same<T>) { out_ += std::to_string(v); }
    void pid(const pid_t& v) { out_ += std::to_string(v); }
    void time(const int64_t& v) { out_ += std::to_string(v); }
    void text(const std::string& v) { out_ += percent_encode(v); }
    void key(const int32_t& v) { out_ += key_text(v); }
    void mode(const unsigned& v) { out_ += octal_mode(v); }
    void yes_no(const bool& v) { out_ += v ? "yes" : "no"; }
    void phase(const RunPhase& v) { out_ += to_string(v); }

private:
    std::string& out_;
};

template <class Owner>
struct Field {
    const char* name;
    void (*read)(FieldReader& io, Owner& into);
    void (*write)(FieldWriter& io, const Owner& from);
    // Optional trailing fields (added to the format later; older lines lack
    // them) say when they are written; nullptr: always there.
    bool (*present)(const Owner& from) = nullptr;
};

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

// The header: one `key value` line each, exactly once, in this order.
const Field<Record> kHeader[] = {
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

constexpr size_t kHeaderKeyCount = std::size(kHeader);

// `set semid key ... type`: one recorded set.
const Field<RecordedSet> kSetFields[] = {
    field<RecordedSet>("semid",
                       [](auto& io, auto& s) { io.number(s.identity.semid, 0, INT_MAX); }),
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

// `removed semid type detected_at`: a set found removed from outside.
const Field<OutsideRemoval> kRemovedFields[] = {
    field<OutsideRemoval>("semid", [](auto& io, auto& o) { io.number(o.semid, 0, INT_MAX); }),
    field<OutsideRemoval>("type", [](auto& io, auto& o) { io.text(o.type); }),
    field<OutsideRemoval>("detected_at", [](auto& io, auto& o) { io.time(o.detected_at); }),
};

static_assert(std::size(kSetFields) + 1 <= Fields::kMax, "Fields::kMax must hold a set line");

// "# set semid key ...": the comment line before the lines of one kind.
template <class Owner, size_t N>
std::string legend(const char* kind, const Field<Owner> (&fields)[N]) {
    std::string out = std::string("# ") + kind;
    for (const auto& f : fields)
        out += f.present ? std::string(" [") + f.name + "]" : std::string(" ") + f.name;
    return out;
}

template <class Owner, size_t N>
Problem read_row(const char* kind, const Field<Owner> (&fields)[N], const Fields& f, Owner& out) {
    size_t required = 0;  // optional fields only ever follow the required ones
    while (required < N && !fields[required].present) ++required;
    if (f.count < required + 1 || f.count > N + 1)
        return std::string(kind) + " line has " + std::to_string(f.count) + " fields, expected " +
               std::to_string(required + 1) +
               (required == N ? std::string()
                              : (N - required == 1 ? " or " : " to ") + std::to_string(N + 1));
    for (size_t i = 0; i + 1 < f.count; ++i) {
        FieldReader io(f.at[i + 1], fields[i].name);
        fields[i].read(io, out);
        if (io.problem) return io.problem;
    }
    return std::nullopt;
}

template <class Owner, size_t N>
std::string row_line(const char* kind, const Field<Owner> (&fields)[N], const Owner& from) {
    std::string line = kind;
    FieldWriter io(line);
    for (const auto& f : fields) {
        if (f.present && !f.present(from)) break;
        line += ' ';
        f.write(io, from);
    }
    return line;
}

// One pass over the text, line by line. Every line is bounded before it is
// looked at, and nothing is reserved from a count the file claims.
class Decoder {
public:
    explicit Decoder(std::string_view text) : text_(text) {}

    DecodeResult run() {
        if (text_.empty()) return DecodeError{0, "the file is empty"};
        size_t pos = 0;
        size_t number = 0;
        while (pos < text_.size()) {
            ++number;
            const size_t remaining = text_.size() - pos;
            const size_t window = std::min(remaining, kMaxStateLineBytes + 1);
            const void* nl = std::memchr(text_.data() + pos, '\n', window);
            if (nl == nullptr) {
                if (remaining > kMaxStateLineBytes) return too_long(number);
                return DecodeError{number, "the last line has no newline: file truncated"};
            }
            const size_t length = static_cast<const char*>(nl) - (text_.data() + pos);
            const std::string_view line = text_.substr(pos, length);
            const size_t next = pos + length + 1;
            if (number == 1) {
                if (Problem p = read_format_line(line)) return DecodeError{1, *p};
                pos = next;
                continue;
            }
            if (line.empty()) return DecodeError{number, "empty line"};
            if (line[0] == '#') {
                pos = next;  // a comment: covered by the checksum, otherwise ignored
                continue;
            }
            Fields f;
            if (Problem p = split_fields(line, f)) return DecodeError{number, *p};
            if (f.at[0] == "end") return finish(number, pos, f, next);
            if (Problem p = read_line(number, f)) return DecodeError{number, *p};
            pos = next;
        }
        return DecodeError{0, "no end line: file truncated"};
    }

private:
    static DecodeError too_long(size_t number) {
        return DecodeError{number, "longer than " + std::to_string(kMaxStateLineBytes) + " bytes"};
    }

    static Problem read_format_line(std::string_view line) {
        const Problem not_ours = std::string("not a mod_semguard state file");
        if (line.substr(0, kMagic.size()) != kMagic) return not_ours;
        int version = 0;
        if (read_number<int>(line.substr(kMagic.size()), "version", 0, INT_MAX, version))
            return not_ours;
        if (version != kStateFormatVersion) return "unsupported version " + std::to_string(version);
        return std::nullopt;
    }

    Problem read_line(size_t number, const Fields& f) {
        const std::string_view what = f.at[0];
        if (what == "set") return read_set_line(number, f);
        if (what == "removed") return read_removed_line(f);
        for (size_t i = 0; i < kHeaderKeyCount; ++i) {
            if (what == kHeader[i].name) return read_header_line(number, i, f);
        }
        return "unknown key " + quoted(what);
    }

    Problem read_header_line(size_t number, size_t index, const Fields& f) {
        const std::string name = kHeader[index].name;
        if (in_body_) return name + " after the set lines (the header comes first)";
        if (header_line_[index] != 0)
            return "duplicate " + name + " (first on line " + std::to_string(header_line_[index]) +
                   ")";
        if (f.count != 2) return name + " needs exactly one value";
        header_line_[index] = number;
        FieldReader io(f.at[1], kHeader[index].name);
        kHeader[index].read(io, record_);
        return io.problem;
    }

    Problem read_set_line(size_t number, const Fields& f) {
        in_body_ = true;
        if (record_.sets.size() >= kMaxRecordedSets)
            return "more than " + std::to_string(kMaxRecordedSets) + " sets";
        RecordedSet set;
        if (Problem p = read_row("set", kSetFields, f, set)) return p;
        const auto [it, inserted] = semid_line_.emplace(set.identity.semid, number);
        if (!inserted)
            return "duplicate semid " + std::to_string(set.identity.semid) + " (first on line " +
                   std::to_string(it->second) + ")";
        record_.sets.push_back(std::move(set));
        return std::nullopt;
    }

    Problem read_removed_line(const Fields& f) {
        in_body_ = true;
        if (record_.removed_outside.size() >= kMaxOutsideRemovals)
            return "more than " + std::to_string(kMaxOutsideRemovals) + " removed lines";
        OutsideRemoval removal;
        if (Problem p = read_row("removed", kRemovedFields, f, removal)) return p;
        // No duplicate check: an id can be removed, reused and removed again.
        record_.removed_outside.push_back(std::move(removal));
        return std::nullopt;
    }

    DecodeResult finish(size_t number, size_t line_start, const Fields& f, size_t next) {
        if (f.count != 3) return DecodeError{number, "malformed end line"};
        size_t counted = 0;
        if (read_number<size_t>(f.at[1], "line count", 0, SIZE_MAX, counted))
            return DecodeError{number, "malformed end line"};
        const std::string_view checksum = f.at[2];
        if (checksum.size() != 16 ||
            checksum.find_first_not_of("0123456789abcdef") != std::string_view::npos)
            return DecodeError{number, "malformed end line"};
        if (counted != number - 1 || checksum != hex16(fnv1a_64(text_.substr(0, line_start))))
            return DecodeError{0, "checksum mismatch: file truncated or altered"};
        if (next != text_.size()) return DecodeError{number + 1, "data after the end line"};

        for (size_t i = 0; i < kHeaderKeyCount; ++i) {
            if (header_line_[i] == 0 && !kHeader[i].present)
                return DecodeError{0, std::string(kHeader[i].name) + " is missing"};
        }
        // Without a creator the anchor cannot prove anything about the run.
        const size_t creator = index_of("run.anchor_creator");
        if (record_.run.anchor_shmid >= 0 && record_.run.anchor_creator == 0)
            return DecodeError{header_line_[creator],
                               "run.anchor_creator is 0 but run.anchor_shmid names an anchor"};
        return std::move(record_);
    }

    static size_t index_of(std::string_view name) {
        for (size_t i = 0; i < kHeaderKeyCount; ++i) {
            if (name == kHeader[i].name) return i;
        }
        return kHeaderKeyCount;
    }

    std::string_view text_;
    Record record_;
    std::array<size_t, kHeaderKeyCount> header_line_{};  // 0: not seen yet
    bool in_body_ = false;
    std::unordered_map<int, size_t> semid_line_;  // bounded by kMaxRecordedSets
};

// ---- encoding --------------------------------------------------------------

class LineWriter {
public:
    void line(std::string_view text) {
        out_ += text;
        out_ += '\n';
        ++lines_;
    }
    std::string sealed() && {
        const std::string checksum = hex16(fnv1a_64(out_));
        out_ += "end " + std::to_string(lines_) + " " + checksum + "\n";
        return std::move(out_);
    }

private:
    std::string out_;
    size_t lines_ = 0;
};

std::string encode(const Record& r) {
    LineWriter w;
    w.line(std::string(kMagic) + std::to_string(kStateFormatVersion));
    for (const auto& key : kHeader) {
        if (key.present && !key.present(r)) continue;  // an optional key without a value
        std::string line = std::string(key.name) + " ";
        FieldWriter io(line);
        key.write(io, r);
        w.line(line);
    }
    w.line(legend("set", kSetFields));
    for (const RecordedSet& s : r.sets) w.line(row_line("set", kSetFields, s));
    w.line(legend("removed", kRemovedFields));
    for (const OutsideRemoval& o : r.removed_outside) w.line(row_line("removed", kRemovedFields, o));
    return std::move(w).sealed();
}

}  // namespace

std::string DecodeError::describe() const {
    if (line == 0) return message;
    return "line " + std::to_string(line) + ": " + message;
}

std::string encode_record(const Record& record) {
    try {
        return encode(record);
    } catch (const std::bad_alloc&) {
        return "";  // refused by decode_record, and by write_state_file before writing
    }
}

DecodeResult decode_record(std::string_view text) {
    // Only allocation can throw here; on a starved host that becomes a refusal
    // instead of an exception unwinding into httpd's C code.
    try {
        return Decoder(text).run();
    } catch (const std::bad_alloc&) {
        return DecodeError{0, "out of memory while decoding"};
    }
}

}  // namespace semguard
