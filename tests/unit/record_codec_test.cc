// The state file format: what round-trips, and that everything else is refused
// with the line and the reason.
#include "record/record_codec.h"

#include <gtest/gtest.h>

#include <cctype>
#include <climits>
#include <cstdint>
#include <cstdio>
#include <limits>
#include <string>

#include "record_samples.h"

namespace semguard {
namespace {

using test::make_set;
using test::reseal;
using test::sample_record;

// Field by field, so a field the codec forgets shows up by name.
void expect_same(const Record& a, const Record& b) {
    EXPECT_EQ(a.instance.server_root, b.instance.server_root);
    EXPECT_EQ(a.instance.config_file, b.instance.config_file);
    EXPECT_EQ(a.instance.pid_file, b.instance.pid_file);
    EXPECT_EQ(a.run.parent_pid, b.run.parent_pid);
    EXPECT_EQ(a.run.parent_start_ticks, b.run.parent_start_ticks);
    EXPECT_EQ(a.run.boot_id, b.run.boot_id);
    EXPECT_EQ(a.run.euid, b.run.euid);
    EXPECT_EQ(a.run.anchor_shmid, b.run.anchor_shmid);
    EXPECT_EQ(a.run.anchor_creator, b.run.anchor_creator);
    EXPECT_EQ(a.run.anchor_ctime, b.run.anchor_ctime);
    EXPECT_EQ(a.run.started_at, b.run.started_at);
    EXPECT_EQ(a.phase, b.phase);
    EXPECT_EQ(a.generation, b.generation);
    EXPECT_EQ(a.written_at, b.written_at);
    ASSERT_EQ(a.sets.size(), b.sets.size());
    for (size_t i = 0; i < a.sets.size(); ++i) {
        SCOPED_TRACE("set " + std::to_string(i));
        const SetInfo& x = a.sets[i].identity;
        const SetInfo& y = b.sets[i].identity;
        EXPECT_EQ(x.semid, y.semid);
        EXPECT_EQ(x.key, y.key);
        EXPECT_EQ(x.uid, y.uid);
        EXPECT_EQ(x.gid, y.gid);
        EXPECT_EQ(x.cuid, y.cuid);
        EXPECT_EQ(x.cgid, y.cgid);
        EXPECT_EQ(x.mode, y.mode);
        EXPECT_EQ(x.nsems, y.nsems);
        EXPECT_EQ(x.otime, y.otime);
        EXPECT_EQ(x.ctime, y.ctime);
        EXPECT_EQ(a.sets[i].type, b.sets[i].type);
        EXPECT_EQ(a.sets[i].creator_pid, b.sets[i].creator_pid);
        EXPECT_EQ(a.sets[i].generation, b.sets[i].generation);
        EXPECT_EQ(a.sets[i].is_protected, b.sets[i].is_protected);
    }
    ASSERT_EQ(a.removed_outside.size(), b.removed_outside.size());
    for (size_t i = 0; i < a.removed_outside.size(); ++i) {
        EXPECT_EQ(a.removed_outside[i].semid, b.removed_outside[i].semid);
        EXPECT_EQ(a.removed_outside[i].type, b.removed_outside[i].type);
        EXPECT_EQ(a.removed_outside[i].detected_at, b.removed_outside[i].detected_at);
    }
}

void expect_round_trip(const Record& r) {
    const std::string text = encode_record(r);
    const DecodeResult d = decode_record(text);
    ASSERT_TRUE(d.ok()) << d.error().describe() << "\n" << text;
    expect_same(r, d.value());
}

// The sample file with `from` replaced by `to` once, resealed.
std::string edited(const std::string& from, const std::string& to) {
    std::string text = encode_record(sample_record());
    const size_t at = text.find(from);
    EXPECT_NE(at, std::string::npos) << "no '" << from << "' in\n" << text;
    if (at != std::string::npos) text.replace(at, from.size(), to);
    return reseal(text);
}

std::string decode_error(const std::string& text) {
    const DecodeResult d = decode_record(text);
    if (d.ok()) return "(decoded)";
    return d.error().describe();
}

// ---- round trips -------------------------------------------------------------

TEST(RecordCodec, RoundTripsTypicalRecord) { expect_round_trip(sample_record()); }

TEST(RecordCodec, RoundTripsEveryPhase) {
    for (RunPhase p : {RunPhase::Starting, RunPhase::Running, RunPhase::Stopped}) {
        Record r = sample_record();
        r.phase = p;
        SCOPED_TRACE(to_string(p));
        expect_round_trip(r);
    }
}

TEST(RecordCodec, RoundTripsHostileStrings) {
    std::string every_byte;
    for (int c = 0; c < 256; ++c) every_byte += static_cast<char>(c);
    Record r = sample_record();
    r.instance.server_root = "/srv/my site/with\nnewline/%41%/end 3 x";
    r.instance.config_file = std::string("nul\0byte", 8) + "\xff\xfe not utf-8 \xc3\x28";
    r.instance.pid_file = "-";
    r.run.boot_id = "";
    r.sets[0].type = every_byte;
    r.sets[1].type = "%2D";
    r.removed_outside[0].type = "# not a comment\r\n";
    expect_round_trip(r);
}

TEST(RecordCodec, RoundTripsExtremeValues) {
    Record r = sample_record();
    r.run.parent_pid = std::numeric_limits<pid_t>::max();
    r.run.parent_start_ticks = std::numeric_limits<uint64_t>::max();
    r.run.euid = std::numeric_limits<uid_t>::max() - 1;
    r.run.anchor_shmid = -1;
    r.run.anchor_creator = 0;
    r.run.anchor_ctime = 0;
    r.run.started_at = std::numeric_limits<int64_t>::max();
    r.generation = LONG_MAX;
    r.written_at = 0;
    RecordedSet& s = r.sets[0];
    s.identity.semid = INT_MAX;
    s.identity.key = std::numeric_limits<int32_t>::min();
    s.identity.uid = s.identity.cuid = std::numeric_limits<uid_t>::max() - 1;
    s.identity.gid = s.identity.cgid = std::numeric_limits<gid_t>::max() - 1;
    s.identity.mode = 0777;
    s.identity.nsems = 65535;
    s.identity.otime = std::numeric_limits<int64_t>::max();
    s.generation = LONG_MAX;
    r.sets[1].identity.semid = 0;
    r.sets[1].identity.key = -1;
    r.sets[1].identity.mode = 0;
    expect_round_trip(r);
}

TEST(RecordCodec, RoundTripsEmptyLists) {
    Record r = sample_record();
    r.sets.clear();
    r.removed_outside.clear();
    expect_round_trip(r);
}

TEST(RecordCodec, ReadableByAnAdministrator) {
    const std::string text = encode_record(sample_record());
    EXPECT_EQ(text.rfind("mod_semguard state 1\n", 0), 0u);
    EXPECT_NE(text.find("\ninstance.server_root /etc/apache2\n"), std::string::npos);
    EXPECT_NE(text.find("\nphase running\n"), std::string::npos);
    EXPECT_NE(text.find("\nset 98304 0x0001e240 0 33 0 0 0660 1 1700000050 1700000001 4242 2 yes "
                        "mpm-accept\n"),
              std::string::npos);
    EXPECT_NE(
        text.find("\nset 98305 0x0001e240 0 33 0 0 0660 1 1700000050 1700000001 4242 2 no -\n"),
        std::string::npos);
    EXPECT_NE(text.find("\nremoved 98306 ssl-cache 1700000100\n"), std::string::npos);
    EXPECT_NE(text.find("\n# set semid key uid gid"), std::string::npos);
    // 15 header lines + 2 legends + 2 sets + 1 removal
    EXPECT_NE(text.find("\nend 20 "), std::string::npos);
    EXPECT_EQ(text, reseal(text)) << "the end line is the documented FNV-1a 64";
}

TEST(RecordCodec, PercentEncodesOnlyWhatNeedsIt) {
    Record r = sample_record();
    r.instance.server_root = "/a b%c\n\xff";
    r.sets[1].type = "-";
    const std::string text = encode_record(r);
    EXPECT_NE(text.find("\ninstance.server_root /a%20b%25c%0A%FF\n"), std::string::npos) << text;
    EXPECT_NE(text.find(" no %2D\n"), std::string::npos) << text;
}

TEST(RecordCodec, AcceptsCommentsAndLowercasePercentEscapes) {
    const std::string text = edited("instance.server_root /etc/apache2",
                                    "# written by hand\ninstance.server_root /etc%2fapache2");
    const DecodeResult d = decode_record(text);
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(d.value().instance.server_root, "/etc/apache2");
}

// ---- damage ------------------------------------------------------------------

TEST(RecordCodec, RejectsEveryTruncation) {
    const std::string text = encode_record(sample_record());
    for (size_t length = 0; length < text.size(); ++length) {
        const DecodeResult d = decode_record(std::string_view(text).substr(0, length));
        EXPECT_FALSE(d.ok()) << "accepted the first " << length << " of " << text.size()
                             << " bytes";
    }
    EXPECT_TRUE(decode_record(text).ok());
}

TEST(RecordCodec, RejectsEveryFlippedBit) {
    const std::string text = encode_record(sample_record());
    for (size_t i = 0; i < text.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string damaged = text;
            damaged[i] = static_cast<char>(damaged[i] ^ (1 << bit));
            EXPECT_FALSE(decode_record(damaged).ok()) << "byte " << i << " bit " << bit;
        }
    }
}

TEST(RecordCodec, NamesTheTruncation) {
    const std::string text = encode_record(sample_record());
    EXPECT_EQ(decode_error(text.substr(0, text.size() - 1)),
              "line 21: the last line has no newline: file truncated");
    const size_t end_line = text.rfind("end ");
    EXPECT_EQ(decode_error(text.substr(0, end_line)), "no end line: file truncated");
    EXPECT_EQ(decode_error(""), "the file is empty");
}

TEST(RecordCodec, RejectsAlteredValueWithChecksumMismatch) {
    std::string text = encode_record(sample_record());
    text.replace(text.find("generation 2"), 12, "generation 3");
    EXPECT_EQ(decode_error(text), "checksum mismatch: file truncated or altered");
}

TEST(RecordCodec, RejectsWrongLineCountEvenWithRightChecksum) {
    std::string text = reseal(encode_record(sample_record()));
    const size_t count_at = text.rfind("end 20 ") + 4;
    text.replace(count_at, 2, "19");
    EXPECT_EQ(decode_error(text), "checksum mismatch: file truncated or altered");
}

TEST(RecordCodec, RejectsMalformedEndLine) {
    const std::string text = encode_record(sample_record());
    const size_t end_line = text.rfind("end ");
    std::string upper = text;
    for (size_t i = end_line + 4; i < upper.size(); ++i)
        upper[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(upper[i])));
    ASSERT_NE(upper, text) << "the checksum happens to have no letters";
    EXPECT_EQ(decode_error(upper), "line 21: malformed end line");
    EXPECT_EQ(decode_error(text.substr(0, end_line) + "end 20\n"), "line 21: malformed end line");
    EXPECT_EQ(decode_error(text.substr(0, end_line) + "end\n"), "line 21: malformed end line");
}

TEST(RecordCodec, RejectsDataAfterEndLine) {
    EXPECT_EQ(decode_error(encode_record(sample_record()) + "set 1\n"),
              "line 22: data after the end line");
    EXPECT_EQ(decode_error(encode_record(sample_record()) + "\n"),
              "line 22: data after the end line");
}

// ---- the first line ----------------------------------------------------------

TEST(RecordCodec, RejectsOtherFiles) {
    EXPECT_EQ(decode_error("<html>\n"), "line 1: not a mod_semguard state file");
    EXPECT_EQ(decode_error(edited("mod_semguard state 1", "mod_semguard state one")),
              "line 1: not a mod_semguard state file");
    EXPECT_EQ(decode_error(edited("mod_semguard state 1", "mod_semguard  state 1")),
              "line 1: not a mod_semguard state file");
}

TEST(RecordCodec, RejectsUnsupportedVersion) {
    EXPECT_EQ(decode_error(edited("mod_semguard state 1", "mod_semguard state 9")),
              "line 1: unsupported version 9");
    EXPECT_EQ(decode_error(edited("mod_semguard state 1", "mod_semguard state 0")),
              "line 1: unsupported version 0");
}

// ---- the header --------------------------------------------------------------

TEST(RecordCodec, RejectsUnknownKeys) {
    EXPECT_EQ(decode_error(edited("phase running", "phase running\nrun.colour blue")),
              "line 14: unknown key 'run.colour'");
    EXPECT_EQ(decode_error(edited("phase running", "phase running\nend\x01\xff x")),
              "line 14: unknown key 'end%01%FF'");
}

TEST(RecordCodec, RejectsUnknownPhase) {
    EXPECT_EQ(decode_error(edited("phase running", "phase crashed")),
              "line 13: unknown phase 'crashed'");
    EXPECT_EQ(decode_error(edited("phase running", "phase Running")),
              "line 13: unknown phase 'Running'");
}

TEST(RecordCodec, RejectsDuplicateKey) {
    EXPECT_EQ(decode_error(edited("generation 2", "generation 2\ngeneration 2")),
              "line 15: duplicate generation (first on line 14)");
}

TEST(RecordCodec, RejectsMissingKey) {
    EXPECT_EQ(decode_error(edited("run.boot_id 0b5e3c1a-9d55-4a43-8f7e-1f1e5c3b2a10\n", "")),
              "run.boot_id is missing");
    EXPECT_EQ(decode_error(edited("written_at 1700000123\n", "")), "written_at is missing");
}

TEST(RecordCodec, RejectsHeaderKeyAfterSets) {
    std::string text = encode_record(sample_record());
    const size_t written = text.find("written_at 1700000123\n");
    text.erase(written, 22);
    text.insert(text.find("# removed"), "written_at 1700000123\n");
    EXPECT_EQ(decode_error(reseal(text)),
              "line 18: written_at after the set lines (the header comes first)");
}

TEST(RecordCodec, RejectsKeyWithoutOrWithExtraValue) {
    EXPECT_EQ(decode_error(edited("generation 2", "generation")),
              "line 14: generation needs exactly one value");
    EXPECT_EQ(decode_error(edited("generation 2", "generation 2 3")),
              "line 14: generation needs exactly one value");
}

TEST(RecordCodec, RejectsAnchorWithoutCreator) {
    EXPECT_EQ(decode_error(edited("run.anchor_creator 4242", "run.anchor_creator 0")),
              "line 10: run.anchor_creator is 0 but run.anchor_shmid names an anchor");
}

TEST(RecordCodec, AcceptsNoAnchor) {
    const DecodeResult d = decode_record(edited("run.anchor_shmid 32769\nrun.anchor_creator 4242",
                                                "run.anchor_shmid -1\nrun.anchor_creator 0"));
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(d.value().run.anchor_shmid, -1);
}

struct BadHeaderValue {
    const char* from;
    const char* to;
    const char* error;
};

TEST(RecordCodec, RejectsOutOfRangeHeaderValues) {
    const BadHeaderValue cases[] = {
        {"run.parent_pid 4242", "run.parent_pid 0",
         "line 5: run.parent_pid 0 is out of range 1..2147483647"},
        {"run.parent_pid 4242", "run.parent_pid -4242",
         "line 5: run.parent_pid -4242 is out of range 1..2147483647"},
        {"run.parent_pid 4242", "run.parent_pid 2147483648",
         "line 5: run.parent_pid 2147483648 is out of range 1..2147483647"},
        {"run.parent_pid 4242", "run.parent_pid 0x10", "line 5: run.parent_pid is not a number"},
        {"run.parent_pid 4242", "run.parent_pid +4242", "line 5: run.parent_pid is not a number"},
        {"run.parent_pid 4242", "run.parent_pid 04242", "line 5: run.parent_pid is not a number"},
        {"run.parent_pid 4242", "run.parent_pid 42a", "line 5: run.parent_pid is not a number"},
        {"run.parent_pid 4242", "run.parent_pid -0", "line 5: run.parent_pid is not a number"},
        {"run.parent_start_ticks 1234567", "run.parent_start_ticks 18446744073709551616",
         "line 6: run.parent_start_ticks 18446744073709551616 is out of range "
         "0..18446744073709551615"},
        {"run.parent_start_ticks 1234567", "run.parent_start_ticks -1",
         "line 6: run.parent_start_ticks -1 is out of range 0..18446744073709551615"},
        {"run.euid 0", "run.euid 4294967295",
         "line 8: run.euid 4294967295 is out of range 0..4294967294"},
        {"run.anchor_shmid 32769", "run.anchor_shmid -2",
         "line 9: run.anchor_shmid -2 is out of range -1..2147483647"},
        {"run.anchor_ctime 1700000000", "run.anchor_ctime -1",
         "line 11: run.anchor_ctime -1 is out of range 0..9223372036854775807"},
        {"generation 2", "generation -1",
         "line 14: generation -1 is out of range 0..9223372036854775807"},
        {"written_at 1700000123", "written_at 999999999999999999999999999999",
         "line 15: written_at is out of range 0..9223372036854775807"},
        {"run.boot_id 0b5e3c1a", "run.boot_id 0b5e%3",
         "line 7: run.boot_id is not percent-encoded (bytes "
         "outside A-Za-z0-9._~/:@+,=- must be written as %XX)"},
        {"run.boot_id 0b5e3c1a", "run.boot_id 0b5e%g0",
         "line 7: run.boot_id is not percent-encoded (bytes "
         "outside A-Za-z0-9._~/:@+,=- must be written as %XX)"},
        {"run.boot_id 0b5e3c1a", "run.boot_id 0b5e\xc3\xa9",
         "line 7: run.boot_id is not percent-encoded (bytes "
         "outside A-Za-z0-9._~/:@+,=- must be written as %XX)"},
    };
    for (const BadHeaderValue& c : cases) {
        SCOPED_TRACE(c.to);
        EXPECT_EQ(decode_error(edited(c.from, c.to)), c.error);
    }
}

// ---- set lines ---------------------------------------------------------------

// The first set line of the sample with field `index` (0 = "set") replaced.
std::string with_set_field(size_t index, const std::string& value) {
    const std::string line =
        "set 98304 0x0001e240 0 33 0 0 0660 1 1700000050 1700000001 4242 2 yes mpm-accept";
    std::string fields[15];
    size_t start = 0;
    for (size_t i = 0; i < 15; ++i) {
        const size_t space = line.find(' ', start);
        fields[i] = line.substr(start, space - start);
        start = space + 1;
    }
    fields[index] = value;
    std::string changed = fields[0];
    for (size_t i = 1; i < 15; ++i) changed += " " + fields[i];
    return edited(line, changed);
}

struct BadSetField {
    size_t index;
    const char* value;
    const char* error;
};

TEST(RecordCodec, RejectsBadSetFields) {
    const BadSetField cases[] = {
        {1, "abc", "line 17: semid is not a number"},
        {1, "-1", "line 17: semid -1 is out of range 0..2147483647"},
        {1, "2147483648", "line 17: semid 2147483648 is out of range 0..2147483647"},
        {1, "99999999999999999999999999", "line 17: semid is out of range 0..2147483647"},
        {2, "123", "line 17: key is not a hex number like 0x0001e240"},
        {2, "0x", "line 17: key is not a hex number like 0x0001e240"},
        {2, "0x123456789", "line 17: key is not a hex number like 0x0001e240"},
        {2, "0xg", "line 17: key is not a hex number like 0x0001e240"},
        {2, "-0x1", "line 17: key is not a hex number like 0x0001e240"},
        {3, "-1", "line 17: uid -1 is out of range 0..4294967294"},
        {4, "4294967296", "line 17: gid 4294967296 is out of range 0..4294967294"},
        {5, "x", "line 17: cuid is not a number"},
        {6, "", "line 17: empty field (fields are separated by exactly one space)"},
        {7, "0778", "line 17: mode is not an octal number"},
        {7, "1000", "line 17: mode is out of range (at most 0777)"},
        {7, "04755", "line 17: mode is out of range (at most 0777)"},
        {7, "-660", "line 17: mode is not an octal number"},
        {8, "0", "line 17: nsems 0 is out of range 1..65535"},
        {8, "65536", "line 17: nsems 65536 is out of range 1..65535"},
        {8, "-1", "line 17: nsems -1 is out of range 1..65535"},
        {9, "-1", "line 17: otime -1 is out of range 0..9223372036854775807"},
        {10, "9223372036854775808",
         "line 17: ctime 9223372036854775808 is out of range 0..9223372036854775807"},
        {11, "0", "line 17: creator_pid 0 is out of range 1..2147483647"},
        {12, "-2", "line 17: generation -2 is out of range 0..9223372036854775807"},
        {13, "maybe", "line 17: protected must be yes or no"},
        {13, "1", "line 17: protected must be yes or no"},
        {14, "mpm%2",
         "line 17: type is not percent-encoded (bytes outside A-Za-z0-9._~/:@+,=- must be "
         "written as %XX)"},
    };
    for (const BadSetField& c : cases) {
        SCOPED_TRACE(std::to_string(c.index) + " = " + c.value);
        EXPECT_EQ(decode_error(with_set_field(c.index, c.value)), c.error);
    }
}

TEST(RecordCodec, RejectsWrongFieldCounts) {
    EXPECT_EQ(decode_error(with_set_field(14, "mpm-accept extra more")),
              "line 17: too many fields");
    EXPECT_EQ(decode_error(edited(" yes mpm-accept", " yes")),
              "line 17: set line has 14 fields, expected 15 or 16");
    EXPECT_EQ(decode_error(edited("removed 98306 ssl-cache 1700000100", "removed 98306 ssl-cache")),
              "line 20: removed line has 3 fields, expected 4");
    EXPECT_EQ(decode_error(edited("removed 98306 ssl-cache 1700000100",
                                  "removed 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16")),
              "line 20: too many fields");
}

TEST(RecordCodec, RejectsBadSpacing) {
    EXPECT_EQ(decode_error(edited("phase running", "phase  running")),
              "line 13: empty field (fields are separated by exactly one space)");
    EXPECT_EQ(decode_error(edited("phase running", "phase running ")),
              "line 13: empty field (fields are separated by exactly one space)");
    EXPECT_EQ(decode_error(edited("phase running", " phase running")),
              "line 13: empty field (fields are separated by exactly one space)");
    EXPECT_EQ(decode_error(edited("phase running", "")), "line 13: empty line");
    EXPECT_EQ(decode_error(edited("phase running", "phase\trunning")),
              "line 13: unknown key 'phase%09running'");
}

TEST(RecordCodec, RejectsCrLfLineEnds) {
    std::string text = encode_record(sample_record());
    std::string crlf;
    for (char c : text) crlf += c == '\n' ? std::string("\r\n") : std::string(1, c);
    EXPECT_EQ(decode_error(reseal(crlf)), "line 1: not a mod_semguard state file");
    EXPECT_EQ(decode_error(edited("phase running\n", "phase running\r\n")),
              "line 13: unknown phase 'running%0D'");
}

TEST(RecordCodec, RejectsDuplicateSemid) {
    std::string text = encode_record(sample_record());
    text.replace(text.find("set 98305 "), 10, "set 98304 ");
    EXPECT_EQ(decode_error(reseal(text)), "line 18: duplicate semid 98304 (first on line 17)");
}

TEST(RecordCodec, AllowsTheSameIdRemovedTwice) {
    // removed, reused by someone, and that set removed too
    const DecodeResult d = decode_record(
        edited("removed 98306 ssl-cache 1700000100",
               "removed 98306 ssl-cache 1700000100\nremoved 98306 ssl-cache 1700000200"));
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(d.value().removed_outside.size(), 2u);
}

TEST(RecordCodec, RejectsBadRemovedFields) {
    EXPECT_EQ(decode_error(edited("removed 98306", "removed -98306")),
              "line 20: semid -98306 is out of range 0..2147483647");
    EXPECT_EQ(decode_error(edited("ssl-cache 1700000100", "ssl-cache soon")),
              "line 20: detected_at is not a number");
}

TEST(RecordCodec, RejectsRecordsNoServerWrites) {
    Record r = sample_record();
    r.run.parent_pid = 0;
    EXPECT_EQ(decode_error(encode_record(r)),
              "line 5: run.parent_pid 0 is out of range 1..2147483647");
    r = sample_record();
    r.sets[0].identity.nsems = 0;
    EXPECT_EQ(decode_error(encode_record(r)), "line 17: nsems 0 is out of range 1..65535");
    r = sample_record();
    r.sets[0].identity.mode = 01660;
    EXPECT_EQ(decode_error(encode_record(r)), "line 17: mode is out of range (at most 0777)");
}

// ---- bounds ------------------------------------------------------------------

Record record_with_sets(size_t count) {
    Record r = sample_record();
    r.sets.clear();
    r.sets.reserve(count);
    for (size_t i = 0; i < count; ++i) r.sets.push_back(make_set(static_cast<int>(i), "x"));
    return r;
}

TEST(RecordCodec, AcceptsTheMaximumNumberOfSets) {
    const DecodeResult d = decode_record(encode_record(record_with_sets(kMaxRecordedSets)));
    ASSERT_TRUE(d.ok()) << d.error().describe();
    EXPECT_EQ(d.value().sets.size(), kMaxRecordedSets);
}

TEST(RecordCodec, RejectsTooManySets) {
    EXPECT_EQ(decode_error(encode_record(record_with_sets(kMaxRecordedSets + 1))),
              "line 100017: more than 100000 sets");
}

TEST(RecordCodec, RejectsTooManyRemovals) {
    Record r = sample_record();
    r.removed_outside.assign(kMaxOutsideRemovals + 1, OutsideRemoval{1, "x", 1});
    EXPECT_EQ(decode_error(encode_record(r)), "line 100020: more than 100000 removed lines");
}

TEST(RecordCodec, AcceptsLinesUpToTheLimit) {
    const std::string comment = "#" + std::string(kMaxStateLineBytes - 1, 'c');
    EXPECT_TRUE(decode_record(edited("phase running", comment + "\nphase running")).ok());
}

TEST(RecordCodec, RejectsHugeLines) {
    const std::string comment = "#" + std::string(kMaxStateLineBytes, 'c');
    EXPECT_EQ(decode_error(edited("phase running", comment + "\nphase running")),
              "line 13: longer than 4096 bytes");
    Record r = sample_record();
    r.instance.server_root = std::string(4000, '\n');  // 12000 bytes encoded
    EXPECT_EQ(decode_error(encode_record(r)), "line 2: longer than 4096 bytes");
    // no newline anywhere: refused as too long, not scanned as one line of 8 MiB
    EXPECT_EQ(decode_error(std::string(8 << 20, 'a')), "line 1: longer than 4096 bytes");
}

TEST(RecordCodec, DescribesErrorsWithAndWithoutLine) {
    EXPECT_EQ((DecodeError{7, "semid is not a number"}.describe()),
              "line 7: semid is not a number");
    EXPECT_EQ((DecodeError{0, "checksum mismatch: file truncated or altered"}.describe()),
              "checksum mismatch: file truncated or altered");
    const DecodeResult d = decode_record(with_set_field(1, "x"));
    ASSERT_FALSE(d.ok());
    EXPECT_EQ(d.error().line, 17u);
    EXPECT_EQ(d.error().message, "semid is not a number");
}

}  // namespace
}  // namespace semguard
