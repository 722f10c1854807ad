#include "record/record_codec.h"

#include <algorithm>
#include <climits>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <unordered_map>
#include <vector>

#include "record/record_format.h"
#include "record/record_grammar.h"
#include "text/codec.h"

namespace semguard {

namespace {

using namespace state_format;

constexpr std::string_view kMagic = "mod_semguard state ";

// ---- lines of one kind, from their table -----------------------------------

// "# set semid key ...": the comment line before the lines of one kind.
template <class Owner>
std::string legend(const char* kind, const FieldTable<Owner>& fields) {
    std::string out = std::string("# ") + kind;
    for (const auto& f : fields)
        out += f.present ? std::string(" [") + f.name + "]" : std::string(" ") + f.name;
    return out;
}

template <class Owner>
Problem read_row(const char* kind, const FieldTable<Owner>& fields, const Fields& f, Owner& out) {
    const size_t n = fields.size();
    size_t required = 0;  // optional fields only ever follow the required ones
    while (required < n && !fields[required].present) ++required;
    if (f.count < required + 1 || f.count > n + 1)
        return std::string(kind) + " line has " + std::to_string(f.count) + " fields, expected " +
               std::to_string(required + 1) +
               (required == n ? std::string()
                              : (n - required == 1 ? " or " : " to ") + std::to_string(n + 1));
    for (size_t i = 0; i + 1 < f.count; ++i) {
        FieldReader io(f.at[i + 1], fields[i].name);
        fields[i].read(io, out);
        if (io.problem) return io.problem;
    }
    return std::nullopt;
}

template <class Owner>
std::string row_line(const char* kind, const FieldTable<Owner>& fields, const Owner& from) {
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
        for (size_t i = 0; i < kHeader.size(); ++i) {
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

        for (size_t i = 0; i < kHeader.size(); ++i) {
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
        for (size_t i = 0; i < kHeader.size(); ++i) {
            if (name == kHeader[i].name) return i;
        }
        return kHeader.size();
    }

    std::string_view text_;
    Record record_;
    std::vector<size_t> header_line_ = std::vector<size_t>(kHeader.size());  // 0: not seen yet
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
    for (const OutsideRemoval& o : r.removed_outside)
        w.line(row_line("removed", kRemovedFields, o));
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
