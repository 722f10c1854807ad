// Replays the committed fuzz corpus (tests/fuzz/corpus/record_codec) on every
// test run, without clang or libFuzzer: the seeds, and any input the fuzzer
// found and someone committed. Each must satisfy the harness's properties:
// refused with a reason, or accepted and stable under encode -> decode.
//
// Names carry intent:
//   valid-*   written by encode_record: must decode. These are files an older
//             build wrote; an upgraded module must still read them.
//   broken-*  damaged on purpose: must be refused.
//   other     (fuzzer finds, crash-<sha1>): only the properties.
//
// The seeds are made by DISABLED_RegenerateSeeds below:
//   semguard_unit --gtest_also_run_disabled_tests --gtest_filter='*RegenerateSeeds'
#include <gtest/gtest.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_corpus.h"
#include "record/record_codec.h"
#include "record_samples.h"

namespace semguard {
namespace {

namespace fs = std::filesystem;

fs::path corpus_dir() { return test::corpus_dir("record_codec"); }

using test::CorpusFile;
using test::starts_with;

std::vector<CorpusFile> corpus() { return test::read_corpus("record_codec"); }

TEST(FuzzCorpusReplay, EveryInputIsRefusedWithReasonOrRoundTrips) {
    const std::vector<CorpusFile> files = corpus();
    ASSERT_FALSE(files.empty()) << "no corpus in " << corpus_dir();
    for (const CorpusFile& f : files) {
        SCOPED_TRACE(f.name);
        const DecodeResult first = decode_record(f.bytes);
        if (!first.ok()) {
            EXPECT_FALSE(first.error().message.empty());
            continue;
        }
        const std::string encoded = encode_record(first.value());
        const DecodeResult second = decode_record(encoded);
        ASSERT_TRUE(second.ok()) << second.error().describe();
        EXPECT_EQ(encode_record(second.value()), encoded);
    }
}

TEST(FuzzCorpusReplay, ValidSeedsDecodeAndBrokenSeedsAreRefused) {
    size_t valid = 0;
    size_t broken = 0;
    for (const CorpusFile& f : corpus()) {
        SCOPED_TRACE(f.name);
        const DecodeResult d = decode_record(f.bytes);
        if (starts_with(f.name, "valid-")) {
            ++valid;
            EXPECT_TRUE(d.ok()) << d.error().describe();
        } else if (starts_with(f.name, "broken-")) {
            ++broken;
            EXPECT_FALSE(d.ok()) << "accepted";
        }
    }
    EXPECT_GE(valid, 4u);
    EXPECT_GE(broken, 8u);
}

// ---- making the seeds --------------------------------------------------------

// The sets of the seeds: made by a private semget (key 0).
RecordedSet seed_set(int semid, const std::string& type, long generation) {
    RecordedSet s = test::make_set(semid, type);
    s.identity.key = 0;
    s.generation = generation;
    return s;
}

// The sample record's header, with three sets and another outside removal.
Record typical() {
    Record r = test::sample_record();
    r.sets = {seed_set(98304, "mpm-accept", 2), seed_set(98305, "ssl-cache", 2),
              seed_set(98306, "", 1)};
    r.removed_outside = {OutsideRemoval{65536, "ssl-stapling", 1700000100}};
    return r;
}

Record starting_without_anchor() {
    Record r = typical();
    r.phase = RunPhase::Starting;
    r.generation = 0;
    r.run.anchor_shmid = -1;
    r.run.anchor_creator = 0;
    r.run.anchor_ctime = 0;
    r.sets.clear();
    r.removed_outside.clear();
    return r;
}

Record hostile_strings() {
    Record r = typical();
    r.instance.server_root = "/srv/my site/%41/\nend 3 0000000000000000";
    r.instance.config_file = std::string("conf\0.d/", 8) + "\xff\xfe\xc3\x28.conf";
    r.instance.pid_file = "-";
    r.run.boot_id = "";
    r.sets[0].type = "# not a comment\r\n";
    r.sets[1].type = "%2D";
    return r;
}

Record extremes() {
    Record r = typical();
    r.run.parent_pid = std::numeric_limits<pid_t>::max();
    r.run.parent_start_ticks = std::numeric_limits<uint64_t>::max();
    r.run.euid = std::numeric_limits<uid_t>::max() - 1;
    r.run.started_at = std::numeric_limits<int64_t>::max();
    r.generation = LONG_MAX;
    RecordedSet& s = r.sets[0];
    s.identity.semid = INT_MAX;
    s.identity.key = std::numeric_limits<int32_t>::min();
    s.identity.mode = 0777;
    s.identity.nsems = 65535;
    r.sets[1].identity.semid = 0;
    r.sets[1].identity.key = -1;
    r.sets[1].identity.mode = 0;
    return r;
}

Record stopped_with_many_sets() {
    Record r = typical();
    r.phase = RunPhase::Stopped;
    r.sets.clear();
    for (int i = 0; i < 40; ++i) r.sets.push_back(seed_set(131072 + i, "proxy", 2));
    return r;
}

// The typical file with `from` replaced by `to`, resealed so only that defect remains.
std::string typical_with(const std::string& from, const std::string& to) {
    std::string text = encode_record(typical());
    text.replace(text.find(from), from.size(), to);
    return test::reseal(text);
}

TEST(FuzzCorpusReplay, DISABLED_RegenerateSeeds) {
    const std::string text = encode_record(typical());
    const std::vector<CorpusFile> seeds = {
        {"valid-typical", text},
        {"valid-starting-without-anchor", encode_record(starting_without_anchor())},
        {"valid-hostile-strings", encode_record(hostile_strings())},
        {"valid-extremes", encode_record(extremes())},
        {"valid-stopped-many-sets", encode_record(stopped_with_many_sets())},
        {"valid-with-comments", typical_with("phase running", "# edited by hand\nphase running")},
        {"broken-empty", ""},
        {"broken-truncated", text.substr(0, text.find("set 98305") + 20)},
        {"broken-altered",
         [&] {
             std::string t = text;
             t.replace(t.find("generation 2"), 12, "generation 3");
             return t;
         }()},
        {"broken-version-9", typical_with("mod_semguard state 1", "mod_semguard state 9")},
        {"broken-unknown-phase", typical_with("phase running", "phase crashed")},
        {"broken-unknown-key", typical_with("phase running", "phase running\nrun.colour blue")},
        {"broken-duplicate-semid", typical_with("set 98305", "set 98304")},
        {"broken-nsems-zero", typical_with(" 0660 1 ", " 0660 0 ")},
        {"broken-negative-pid", typical_with("run.parent_pid 4242", "run.parent_pid -4242")},
        {"broken-bad-percent", typical_with("mpm-accept", "mpm%zzaccept")},
        {"broken-missing-key", typical_with("written_at 1700000123\n", "")},
        {"broken-huge-line",
         typical_with("phase running", "#" + std::string(5000, 'x') + "\nphase running")},
        {"broken-crlf",
         [&] {
             std::string t;
             for (char c : text) t += c == '\n' ? std::string("\r\n") : std::string(1, c);
             return t;
         }()},
        {"broken-data-after-end", text + "set 1 0x00000000 0 0 0 0 0600 1 0 0 1 0 no x\n"},
    };
    fs::create_directories(corpus_dir());
    for (const CorpusFile& seed : seeds) {
        const DecodeResult d = decode_record(seed.bytes);
        EXPECT_EQ(d.ok(), starts_with(seed.name, "valid-")) << seed.name;
        std::printf("%-32s %s\n", seed.name.c_str(),
                    d.ok() ? "decodes" : d.error().describe().c_str());
        std::ofstream(corpus_dir() / seed.name, std::ios::binary | std::ios::trunc) << seed.bytes;
    }
}

}  // namespace
}  // namespace semguard
