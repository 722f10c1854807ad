// Replays the committed fuzz corpus of fuzz_proc_sem_table
// (tests/fuzz/corpus/proc_sem_table) on every test run, without clang or
// libFuzzer. Names carry intent:
//   valid-*   the kernel's own format: must parse under at least one mask
//             (valid-ipcmni-extend only under the ipcmni_extend one);
//   broken-*  damaged on purpose: refused under both masks;
//   other     (fuzzer finds): only the harness's properties.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "fuzz_corpus.h"
#include "kernel/proc_sem_table.h"

namespace semguard {
namespace {

namespace fs = std::filesystem;

using test::CorpusFile;
using test::starts_with;

std::vector<CorpusFile> corpus() { return test::read_corpus("proc_sem_table"); }

TEST(ProcSemTableCorpusReplay, EveryInputIsRefusedWithReasonOrHoldsOnlyWhatTheKernelPrints) {
    const std::vector<CorpusFile> files = corpus();
    ASSERT_FALSE(files.empty());
    for (const CorpusFile& f : files) {
        for (const int mask : {kIpcmniIndexMask, kIpcmniExtendIndexMask}) {
            SCOPED_TRACE(f.name + " mask " + std::to_string(mask));
            const ProcSemTableResult r = parse_proc_sem_table(f.bytes, mask);
            if (!r.ok()) {
                EXPECT_FALSE(r.error().reason.empty());
                continue;
            }
            int previous = -1;
            for (const SetInfo& s : r.value()) {
                EXPECT_GE(s.semid, 0);
                EXPECT_GE(s.nsems, 1u);
                EXPECT_LE(s.mode, 0777u);
                EXPECT_EQ(s.index, s.semid & mask);
                EXPECT_GT(s.index, previous);
                previous = s.index;
            }
        }
    }
}

TEST(ProcSemTableCorpusReplay, ValidSeedsParseAndBrokenSeedsAreRefused) {
    size_t valid = 0;
    size_t broken = 0;
    for (const CorpusFile& f : corpus()) {
        SCOPED_TRACE(f.name);
        const bool ipcmni = parse_proc_sem_table(f.bytes, kIpcmniIndexMask).ok();
        const bool extended = parse_proc_sem_table(f.bytes, kIpcmniExtendIndexMask).ok();
        if (starts_with(f.name, "valid-")) {
            ++valid;
            EXPECT_TRUE(extended);
            EXPECT_EQ(ipcmni, f.name != "valid-ipcmni-extend");
        } else if (starts_with(f.name, "broken-")) {
            ++broken;
            EXPECT_FALSE(ipcmni);
            EXPECT_FALSE(extended);
        }
    }
    EXPECT_GE(valid, 4u);
    EXPECT_GE(broken, 10u);
}

}  // namespace
}  // namespace semguard
