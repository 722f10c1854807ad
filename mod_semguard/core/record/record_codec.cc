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

namespace semguard {

namespace {

constexpr std::string_view kMagic = "mod_semguard state ";

uint64_t fnv1a_64(std::string_view bytes) {
    uint64_t h = 14695981039346656037ULL;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 1099511628211ULL;
    }
    return h;
}

std::string hex16(uint64_t value) {
    char buf[17];
    std::snprintf(buf, sizeof buf, "%016" PRIx64, value);
    return buf;
}

// ---- strings ---------------------------------------------------------------

bool is_plain_byte(unsigned char c) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
    return c != '\0' && std::strchr("._~/:@+,=-", c) != nullptr;
}

int hex_digit_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_encode(std::string_view s) {
    if (s.empty()) return "-";
    if (s == "-") return "%2D";
    static const char kHex[] = "0123456789ABCDEF";
    std::string out;
    out.reserve(s.size());
    for (unsigned char c : s) {
        if (is_plain_byte(c)) {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += kHex[c >> 4];
            out += kHex[c & 0xf];
        }
    }
    return out;
}

bool percent_decode(std::string_view field, std::string& out) {
    out.clear();
    if (field == "-") return true;
    for (size_t i = 0; i < field.size(); ++i) {
        const unsigned char c = static_cast<unsigned char>(field[i]);
        if (c == '%') {
            if (field.size() - i < 3) return false;
            const int hi = hex_digit_value(field[i + 1]);
            const int lo = hex_digit_value(field[i + 2]);
            if (hi < 0 || lo < 0) return false;
            out += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else if (is_plain_byte(c)) {
            out += static_cast<char>(c);
        } else {
            return false;
        }
    }
    return true;
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

// The header keys, in the order encode_record writes them.
struct HeaderKey {
    const char* name;
    Problem (*read)(std::string_view value, const char* name, Record& r);
};

using Value = std::string_view;
using Name = const char*;

const HeaderKey kHeaderKeys[] = {
    {"instance.server_root",
     [](Value v, Name n, Record& r) { return read_string(v, n, r.instance.server_root); }},
    {"instance.config_file",
     [](Value v, Name n, Record& r) { return read_string(v, n, r.instance.config_file); }},
    {"instance.pid_file",
     [](Value v, Name n, Record& r) { return read_string(v, n, r.instance.pid_file); }},
    {"run.parent_pid", [](Value v, Name n, Record& r) { return read_pid(v, n, r.run.parent_pid); }},
    {"run.parent_start_ticks",
     [](Value v, Name n, Record& r) {
         return read_number<uint64_t>(v, n, 0, UINT64_MAX, r.run.parent_start_ticks);
     }},
    {"run.boot_id", [](Value v, Name n, Record& r) { return read_string(v, n, r.run.boot_id); }},
    {"run.euid",
     [](Value v, Name n, Record& r) { return read_number<uid_t>(v, n, 0, kMaxUid, r.run.euid); }},
    {"run.anchor_shmid",
     [](Value v, Name n, Record& r) {
         return read_number<int>(v, n, -1, INT_MAX, r.run.anchor_shmid);
     }},
    {"run.anchor_creator",
     [](Value v, Name n, Record& r) {
         // 0 only when there is no anchor; checked once the whole header is read
         return read_number<pid_t>(v, n, 0, kMaxPid, r.run.anchor_creator);
     }},
    {"run.anchor_ctime",
     [](Value v, Name n, Record& r) { return read_time(v, n, r.run.anchor_ctime); }},
    {"run.started_at",
     [](Value v, Name n, Record& r) { return read_time(v, n, r.run.started_at); }},
    {"phase", [](Value v, Name, Record& r) { return read_phase(v, r.phase); }},
    {"generation",
     [](Value v, Name n, Record& r) { return read_number<long>(v, n, 0, LONG_MAX, r.generation); }},
    {"written_at", [](Value v, Name n, Record& r) { return read_time(v, n, r.written_at); }},
};

constexpr size_t kHeaderKeyCount = std::size(kHeaderKeys);

constexpr std::string_view kSetLegend =
    "# set semid key uid gid cuid cgid mode nsems otime ctime creator_pid generation protected "
    "type [module]";
constexpr std::string_view kRemovedLegend = "# removed semid type detected_at";
constexpr size_t kSetFields = 15;  // 16 with the creating module, when known
constexpr size_t kRemovedFields = 4;

Problem read_set(const Fields& f, RecordedSet& s) {
    if (f.count != kSetFields && f.count != kSetFields + 1)
        return "set line has " + std::to_string(f.count) + " fields, expected " +
               std::to_string(kSetFields) + " or " + std::to_string(kSetFields + 1);
    SetInfo& id = s.identity;
    Problem p;
    if ((p = read_number<int>(f.at[1], "semid", 0, INT_MAX, id.semid))) return p;
    if ((p = read_key(f.at[2], id.key))) return p;
    if ((p = read_number<uid_t>(f.at[3], "uid", 0, kMaxUid, id.uid))) return p;
    if ((p = read_number<gid_t>(f.at[4], "gid", 0, kMaxGid, id.gid))) return p;
    if ((p = read_number<uid_t>(f.at[5], "cuid", 0, kMaxUid, id.cuid))) return p;
    if ((p = read_number<gid_t>(f.at[6], "cgid", 0, kMaxGid, id.cgid))) return p;
    if ((p = read_mode(f.at[7], id.mode))) return p;
    if ((p = read_number<unsigned long>(f.at[8], "nsems", 1, kMaxNsems, id.nsems))) return p;
    if ((p = read_time(f.at[9], "otime", id.otime))) return p;
    if ((p = read_time(f.at[10], "ctime", id.ctime))) return p;
    if ((p = read_pid(f.at[11], "creator_pid", s.creator_pid))) return p;
    if ((p = read_number<long>(f.at[12], "generation", 0, LONG_MAX, s.generation))) return p;
    if ((p = read_yes_no(f.at[13], "protected", s.is_protected))) return p;
    if ((p = read_string(f.at[14], "type", s.type))) return p;
    if (f.count == kSetFields + 1) return read_string(f.at[15], "module", s.module);
    return std::nullopt;
}

Problem read_removed(const Fields& f, OutsideRemoval& r) {
    if (f.count != kRemovedFields)
        return "removed line has " + std::to_string(f.count) + " fields, expected " +
               std::to_string(kRemovedFields);
    Problem p;
    if ((p = read_number<int>(f.at[1], "semid", 0, INT_MAX, r.semid))) return p;
    if ((p = read_string(f.at[2], "type", r.type))) return p;
    return read_time(f.at[3], "detected_at", r.detected_at);
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
            if (what == kHeaderKeys[i].name) return read_header_line(number, i, f);
        }
        return "unknown key " + quoted(what);
    }

    Problem read_header_line(size_t number, size_t index, const Fields& f) {
        const std::string name = kHeaderKeys[index].name;
        if (in_body_) return name + " after the set lines (the header comes first)";
        if (header_line_[index] != 0)
            return "duplicate " + name + " (first on line " + std::to_string(header_line_[index]) +
                   ")";
        if (f.count != 2) return name + " needs exactly one value";
        header_line_[index] = number;
        return kHeaderKeys[index].read(f.at[1], kHeaderKeys[index].name, record_);
    }

    Problem read_set_line(size_t number, const Fields& f) {
        in_body_ = true;
        if (record_.sets.size() >= kMaxRecordedSets)
            return "more than " + std::to_string(kMaxRecordedSets) + " sets";
        RecordedSet set;
        if (Problem p = read_set(f, set)) return p;
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
        if (Problem p = read_removed(f, removal)) return p;
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
            if (header_line_[i] == 0)
                return DecodeError{0, std::string(kHeaderKeys[i].name) + " is missing"};
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
            if (name == kHeaderKeys[i].name) return i;
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
    void key_value(std::string_view key, std::string_view value) {
        line(std::string(key) + " " + std::string(value));
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

std::string key_text(int32_t key) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "0x%08" PRIx32, static_cast<uint32_t>(key));
    return buf;
}

std::string mode_text(unsigned mode) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04o", mode);
    return buf;
}

std::string encode(const Record& r) {
    using std::to_string;
    LineWriter w;
    w.line(std::string(kMagic) + to_string(kStateFormatVersion));
    w.key_value("instance.server_root", percent_encode(r.instance.server_root));
    w.key_value("instance.config_file", percent_encode(r.instance.config_file));
    w.key_value("instance.pid_file", percent_encode(r.instance.pid_file));
    w.key_value("run.parent_pid", to_string(r.run.parent_pid));
    w.key_value("run.parent_start_ticks", to_string(r.run.parent_start_ticks));
    w.key_value("run.boot_id", percent_encode(r.run.boot_id));
    w.key_value("run.euid", to_string(r.run.euid));
    w.key_value("run.anchor_shmid", to_string(r.run.anchor_shmid));
    w.key_value("run.anchor_creator", to_string(r.run.anchor_creator));
    w.key_value("run.anchor_ctime", to_string(r.run.anchor_ctime));
    w.key_value("run.started_at", to_string(r.run.started_at));
    w.key_value("phase", std::string(to_string(r.phase)));
    w.key_value("generation", to_string(r.generation));
    w.key_value("written_at", to_string(r.written_at));

    w.line(kSetLegend);
    for (const RecordedSet& s : r.sets) {
        const SetInfo& id = s.identity;
        w.line("set " + to_string(id.semid) + " " + key_text(id.key) + " " + to_string(id.uid) +
               " " + to_string(id.gid) + " " + to_string(id.cuid) + " " + to_string(id.cgid) + " " +
               mode_text(id.mode) + " " + to_string(id.nsems) + " " + to_string(id.otime) + " " +
               to_string(id.ctime) + " " + to_string(s.creator_pid) + " " +
               to_string(s.generation) + " " + (s.is_protected ? "yes" : "no") + " " +
               percent_encode(s.type) +
               (s.module.empty() ? std::string() : " " + percent_encode(s.module)));
    }
    w.line(kRemovedLegend);
    for (const OutsideRemoval& o : r.removed_outside) {
        w.line("removed " + to_string(o.semid) + " " + percent_encode(o.type) + " " +
               to_string(o.detected_at));
    }
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
