#include "kernel/proc_sem_table.h"

#include <limits>

namespace semguard {

const char kProcSemHeader[] =
    "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime";

std::string ProcSemTableError::describe() const {
    if (line == 0) return reason;
    return "line " + std::to_string(line) + ": " + reason;
}

namespace {

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

ProcSemTableError fail(size_t line, std::string reason) {
    return ProcSemTableError{line, std::move(reason)};
}

}  // namespace

ProcSemTableResult parse_proc_sem_table(std::string_view text, int index_mask, size_t expected) {
    if (index_mask <= 0) return fail(0, "index mask must be positive");
    const std::string_view header(kProcSemHeader);
    if (text.size() < header.size() + 1 || text.substr(0, header.size()) != header ||
        text[header.size()] != '\n')
        return fail(1, "not the header of /proc/sysvipc/sem");

    std::vector<SetInfo> sets;
    sets.reserve(expected);
    size_t pos = header.size() + 1;
    size_t line_number = 1;
    constexpr uint64_t kU32 = std::numeric_limits<uint32_t>::max();
    constexpr uint64_t kI32 = std::numeric_limits<int32_t>::max();
    constexpr uint64_t kI64 = std::numeric_limits<int64_t>::max();
    while (pos < text.size()) {
        ++line_number;
        const size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) return fail(line_number, "no '\\n' at the end");
        Fields fields(text.substr(pos, end - pos));
        pos = end + 1;

        SetInfo set;
        uint64_t semid = 0, mode = 0, nsems = 0, uid = 0, gid = 0, cuid = 0, cgid = 0, otime = 0,
                 ctime = 0;
        if (!parse_key(fields.next(), set.key)) return fail(line_number, "bad key");
        if (!parse_unsigned(fields.next(), 10, kI32, semid)) return fail(line_number, "bad semid");
        if (!parse_unsigned(fields.next(), 8, 0xffff, mode)) return fail(line_number, "bad perms");
        if (!parse_unsigned(fields.next(), 10, kI32, nsems) || nsems == 0)
            return fail(line_number, "bad nsems");
        if (!parse_unsigned(fields.next(), 10, kU32, uid)) return fail(line_number, "bad uid");
        if (!parse_unsigned(fields.next(), 10, kU32, gid)) return fail(line_number, "bad gid");
        if (!parse_unsigned(fields.next(), 10, kU32, cuid)) return fail(line_number, "bad cuid");
        if (!parse_unsigned(fields.next(), 10, kU32, cgid)) return fail(line_number, "bad cgid");
        if (!parse_unsigned(fields.next(), 10, kI64, otime)) return fail(line_number, "bad otime");
        if (!parse_unsigned(fields.next(), 10, kI64, ctime)) return fail(line_number, "bad ctime");
        if (!fields.next().empty()) return fail(line_number, "more than 10 fields");

        set.semid = static_cast<int>(semid);
        set.mode = static_cast<unsigned>(mode) & 0777u;
        set.nsems = static_cast<unsigned long>(nsems);
        set.uid = static_cast<uid_t>(uid);
        set.gid = static_cast<gid_t>(gid);
        set.cuid = static_cast<uid_t>(cuid);
        set.cgid = static_cast<gid_t>(cgid);
        set.otime = static_cast<int64_t>(otime);
        set.ctime = static_cast<int64_t>(ctime);
        set.index = set.semid & index_mask;
        if (!sets.empty() && set.index <= sets.back().index)
            return fail(line_number, "index " + std::to_string(set.index) + " after index " +
                                         std::to_string(sets.back().index));
        sets.push_back(set);
    }
    return sets;
}

}  // namespace semguard
