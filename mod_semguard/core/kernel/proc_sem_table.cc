#include "kernel/proc_sem_table.h"

#include <limits>
#include <utility>

namespace semguard {

const char kProcSemHeader[] =
    "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime";

std::string ProcSemTableError::describe() const {
    if (line == 0) return reason;
    return "line " + std::to_string(line) + ": " + reason;
}

namespace {

// The kernel's longest line is about 130 bytes; this bounds what a line
// without '\n' may make the parser keep.
constexpr size_t kMaxLine = 4096;

// One line, without its '\n', cut into space-separated fields by hand: this
// runs over some 2.5 MB for 30,000 sets, and must cost less than reading them.
class Fields {
public:
    explicit Fields(std::string_view line) : line_(line) {}

    // The next field; empty at the end of the line.
    std::string_view next() {
        while (pos_ < line_.size() && line_[pos_] == ' ') ++pos_;
        const size_t start = pos_;
        while (pos_ < line_.size() && line_[pos_] != ' ') ++pos_;
        return line_.substr(start, pos_ - start);
    }

private:
    std::string_view line_;
    size_t pos_ = 0;
};

// Digits in `base` (8 or 10), no sign, no leading zero, at most `max`.
bool parse_unsigned(std::string_view field, unsigned base, uint64_t max, uint64_t& out) {
    if (field.empty() || (field.size() > 1 && field[0] == '0')) return false;
    uint64_t value = 0;
    for (const char c : field) {
        const unsigned digit = static_cast<unsigned>(static_cast<unsigned char>(c) - '0');
        if (digit >= base) return false;
        if (value > (max - digit) / base) return false;  // value * base + digit > max
        value = value * base + digit;
    }
    out = value;
    return true;
}

bool parse_key(std::string_view field, int32_t& out) {
    const bool negative = !field.empty() && field[0] == '-';
    if (negative) field.remove_prefix(1);
    uint64_t magnitude = 0;
    const uint64_t max = negative ? uint64_t{1} << 31 : uint64_t{INT32_MAX};
    if (!parse_unsigned(field, 10, max, magnitude)) return false;
    if (negative && magnitude == 0) return false;  // "-0": never printed
    out = negative ? static_cast<int32_t>(-static_cast<int64_t>(magnitude))
                   : static_cast<int32_t>(magnitude);
    return true;
}

// One set line, or the name of its first bad field.
const char* parse_set(std::string_view line, SetInfo& set) {
    constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
    constexpr uint64_t kI32 = std::numeric_limits<int32_t>::max();
    constexpr uint64_t kI64 = std::numeric_limits<int64_t>::max();
    Fields fields(line);
    uint64_t semid = 0, mode = 0, nsems = 0, uid = 0, gid = 0, cuid = 0, cgid = 0, otime = 0,
             ctime = 0;
    if (!parse_key(fields.next(), set.key)) return "bad key";
    if (!parse_unsigned(fields.next(), 10, kI32, semid)) return "bad semid";
    if (!parse_unsigned(fields.next(), 8, 0xffff, mode)) return "bad perms";
    if (!parse_unsigned(fields.next(), 10, kI32, nsems) || nsems == 0) return "bad nsems";
    if (!parse_unsigned(fields.next(), 10, kU32, uid)) return "bad uid";
    if (!parse_unsigned(fields.next(), 10, kU32, gid)) return "bad gid";
    if (!parse_unsigned(fields.next(), 10, kU32, cuid)) return "bad cuid";
    if (!parse_unsigned(fields.next(), 10, kU32, cgid)) return "bad cgid";
    if (!parse_unsigned(fields.next(), 10, kI64, otime)) return "bad otime";
    if (!parse_unsigned(fields.next(), 10, kI64, ctime)) return "bad ctime";
    if (!fields.next().empty()) return "more than 10 fields";
    set.semid = static_cast<int>(semid);
    set.mode = static_cast<unsigned>(mode) & 0777u;
    set.nsems = static_cast<unsigned long>(nsems);
    set.uid = static_cast<uid_t>(uid);
    set.gid = static_cast<gid_t>(gid);
    set.cuid = static_cast<uid_t>(cuid);
    set.cgid = static_cast<gid_t>(cgid);
    set.otime = static_cast<int64_t>(otime);
    set.ctime = static_cast<int64_t>(ctime);
    return nullptr;
}

}  // namespace

ProcSemTableParser::ProcSemTableParser(size_t expected) { sets_.reserve(expected); }

void ProcSemTableParser::fail(size_t line, std::string reason) {
    if (failed_) return;
    failed_ = true;
    error_ = ProcSemTableError{line, std::move(reason)};
}

void ProcSemTableParser::take_line(std::string_view line) {
    ++lines_;
    if (lines_ == 1) {
        if (line != std::string_view(kProcSemHeader))
            fail(1, "not the header of /proc/sysvipc/sem");
        return;
    }
    SetInfo set;
    if (const char* bad = parse_set(line, set)) return fail(lines_, bad);
    sets_.push_back(set);
}

bool ProcSemTableParser::feed(std::string_view chunk) {
    while (!failed_ && !chunk.empty()) {
        const size_t end = chunk.find('\n');
        if (end == std::string_view::npos) {
            if (carry_.size() + chunk.size() > kMaxLine)
                fail(lines_ + 1, "a line longer than " + std::to_string(kMaxLine) + " bytes");
            else
                carry_.append(chunk.data(), chunk.size());
            break;
        }
        if (carry_.empty()) {
            take_line(chunk.substr(0, end));
        } else {
            carry_.append(chunk.data(), end);
            take_line(carry_);
            carry_.clear();
        }
        chunk.remove_prefix(end + 1);
    }
    return !failed_;
}

ProcSemTableResult ProcSemTableParser::finish() {
    if (!failed_ && !carry_.empty()) fail(lines_ + 1, "no '\\n' at the end");
    if (!failed_ && lines_ == 0) fail(1, "not the header of /proc/sysvipc/sem");
    if (failed_) return error_;
    return std::move(sets_);
}

std::optional<ProcSemTableError> index_proc_sem_sets(std::vector<SetInfo>& sets, int index_mask) {
    if (index_mask <= 0) return ProcSemTableError{0, "index mask must be positive"};
    for (size_t i = 0; i < sets.size(); ++i) {
        sets[i].index = sets[i].semid & index_mask;
        if (i > 0 && sets[i].index <= sets[i - 1].index)
            return ProcSemTableError{i + 2, "index " + std::to_string(sets[i].index) +
                                                " after index " +
                                                std::to_string(sets[i - 1].index)};
    }
    return std::nullopt;
}

ProcSemTableResult parse_proc_sem_table(std::string_view text, int index_mask, size_t expected) {
    ProcSemTableParser parser(expected);
    parser.feed(text);
    ProcSemTableResult parsed = parser.finish();
    if (!parsed) return parsed;
    if (std::optional<ProcSemTableError> error = index_proc_sem_sets(parsed.value(), index_mask))
        return *error;
    return parsed;
}

}  // namespace semguard
