// parse_proc_sem_table: the text of /proc/sysvipc/sem. Any doubt is a failure
// (the caller then walks the table with SEM_STAT_ANY), never a partial list.
#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "kernel/proc_sem_table.h"

namespace semguard {
namespace {

const std::string kHeader = std::string(kProcSemHeader) + "\n";

// One line exactly as the kernel prints it (ipc/sem.c sysvipc_sem_proc_show).
std::string line(long long key, long long semid, unsigned mode, unsigned long nsems,
                 unsigned long uid, unsigned long gid, unsigned long cuid, unsigned long cgid,
                 unsigned long long otime, unsigned long long ctime) {
    char buf[256];
    std::snprintf(buf, sizeof buf, "%10lld %10lld  %4o %10lu %5lu %5lu %5lu %5lu %10llu %10llu\n",
                  key, semid, mode, nsems, uid, gid, cuid, cgid, otime, ctime);
    return buf;
}

// What this kernel printed for three sets made in a fresh namespace.
const std::string kThreeSets =
    kHeader +
    "         0          0   640          3     0     0     0     0          0 1796284130\n"
    "      4660          1   600          1     0     0     0     0          0 1796284130\n"
    "        -5          2   666          2     0     0     0     0          0 1796284130\n";

ProcSemTableResult parse(const std::string& text, int mask = kIpcmniIndexMask) {
    return parse_proc_sem_table(text, mask);
}

TEST(ProcSemTable, ReadsEveryFieldOfTheKernelsLines) {
    const std::string text =
        kHeader + line(0, 0, 0640, 3, 0, 0, 0, 0, 0, 1796284130) +
        line(0x5e000001, 32769, 0600, 250, 33, 34, 0, 0, 1796284200, 1796284131) +
        line(-2147483647 - 1, 98306, 0777, 1, 4294967294ul, 65534, 1000, 1001, 0, 1);
    ProcSemTableResult r = parse(text);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->size(), 3u);
    const SetInfo& a = (*r)[0];
    EXPECT_EQ(a.key, 0);
    EXPECT_EQ(a.semid, 0);
    EXPECT_EQ(a.mode, 0640u);
    EXPECT_EQ(a.nsems, 3u);
    EXPECT_EQ(a.ctime, 1796284130);
    EXPECT_EQ(a.index, 0);
    const SetInfo& b = (*r)[1];
    EXPECT_EQ(b.key, 0x5e000001);
    EXPECT_EQ(b.semid, 32769);
    EXPECT_EQ(b.index, 1);
    EXPECT_EQ(b.nsems, 250u);
    EXPECT_EQ(b.uid, 33u);
    EXPECT_EQ(b.gid, 34u);
    EXPECT_EQ(b.otime, 1796284200);
    EXPECT_EQ(b.ctime, 1796284131);
    const SetInfo& c = (*r)[2];
    EXPECT_EQ(c.key, INT32_MIN);
    EXPECT_EQ(c.semid, 98306);
    EXPECT_EQ(c.index, 2);
    EXPECT_EQ(c.mode, 0777u);
    EXPECT_EQ(c.uid, 4294967294u);
    EXPECT_EQ(c.gid, 65534u);
    EXPECT_EQ(c.cuid, 1000u);
    EXPECT_EQ(c.cgid, 1001u);
}

TEST(ProcSemTable, TheTextThisKernelPrinted) {
    ProcSemTableResult r = parse(kThreeSets);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->size(), 3u);
    EXPECT_EQ((*r)[1].key, 4660);
    EXPECT_EQ((*r)[2].key, -5);
    EXPECT_EQ((*r)[2].mode, 0666u);
}

TEST(ProcSemTable, HeaderOnlyIsAnEmptyTable) {
    ProcSemTableResult r = parse(kHeader);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_TRUE(r->empty());
}

TEST(ProcSemTable, ModeIsMaskedToThePermissionBits) {
    ProcSemTableResult r = parse(kHeader + line(0, 7, 01600, 1, 0, 0, 0, 0, 0, 1));
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ((*r)[0].mode, 0600u);
}

TEST(ProcSemTable, IndexIsTheIdsLowBitsUnderTheGivenMask) {
    // 0x01000005: sequence 1 under ipcmni_extend (index 5), index 5 under IPCMNI too.
    // 0x00008003: index 3 under IPCMNI, index 0x8003 under ipcmni_extend.
    const std::string text = kHeader + line(0, 0x8003, 0600, 1, 0, 0, 0, 0, 0, 1) +
                             line(0, 0x01000005, 0600, 1, 0, 0, 0, 0, 0, 1);
    ProcSemTableResult ipcmni = parse(text, kIpcmniIndexMask);
    ASSERT_TRUE(ipcmni.ok()) << ipcmni.error().describe();
    EXPECT_EQ((*ipcmni)[0].index, 3);
    EXPECT_EQ((*ipcmni)[1].index, 5);
    // Under ipcmni_extend the same ids are out of order: refused.
    EXPECT_FALSE(parse(text, kIpcmniExtendIndexMask).ok());
    ProcSemTableResult extended = parse(kHeader + line(0, 0x01000005, 0600, 1, 0, 0, 0, 0, 0, 1) +
                                            line(0, 0x8003, 0600, 1, 0, 0, 0, 0, 0, 1),
                                        kIpcmniExtendIndexMask);
    ASSERT_TRUE(extended.ok()) << extended.error().describe();
    EXPECT_EQ((*extended)[0].index, 5);
    EXPECT_EQ((*extended)[1].index, 0x8003);
}

TEST(ProcSemTable, IndicesMustStrictlyIncrease) {
    const std::string one = line(0, 32769, 0600, 1, 0, 0, 0, 0, 0, 1);  // index 1
    const std::string two = line(0, 2, 0600, 1, 0, 0, 0, 0, 0, 1);      // index 2
    EXPECT_TRUE(parse(kHeader + one + two).ok());
    EXPECT_FALSE(parse(kHeader + two + one).ok()) << "decreasing";
    EXPECT_FALSE(parse(kHeader + one + one).ok()) << "repeated";
    // Different ids, same index: two sets cannot share a slot.
    EXPECT_FALSE(parse(kHeader + one + line(0, 1, 0600, 1, 0, 0, 0, 0, 0, 1)).ok());
}

TEST(ProcSemTable, TheHeaderMustBeExact) {
    EXPECT_FALSE(parse("").ok()) << "empty";
    EXPECT_FALSE(parse(std::string(kProcSemHeader)).ok()) << "no newline";
    EXPECT_FALSE(parse(kThreeSets.substr(kHeader.size())).ok()) << "no header";
    std::string shifted = kThreeSets;
    shifted.erase(0, 1);
    EXPECT_FALSE(parse(shifted).ok()) << "one space fewer";
    std::string renamed = kThreeSets;
    renamed.replace(renamed.find("perms"), 5, "PERMS");
    EXPECT_FALSE(parse(renamed).ok());
    // The shared-memory table's header is not this one.
    EXPECT_FALSE(parse("       key      shmid perms       size  cpid  lpid nattch   uid   gid  "
                       "cuid  cgid      atime      dtime      ctime                   rss        "
                       "          swap\n")
                     .ok());
    EXPECT_EQ(parse("x\n").error().line, 1u);
}

TEST(ProcSemTable, ATruncatedLastLineIsRefusedNotDropped) {
    for (size_t cut = kHeader.size() + 1; cut < kThreeSets.size(); ++cut) {
        const std::string text = kThreeSets.substr(0, cut);
        ProcSemTableResult r = parse(text);
        if (text.back() == '\n') {
            EXPECT_TRUE(r.ok()) << cut;
            continue;
        }
        ASSERT_FALSE(r.ok()) << "cut at " << cut << " gave " << r->size() << " sets";
        EXPECT_FALSE(r.error().reason.empty());
        EXPECT_GE(r.error().line, 2u);
    }
}

TEST(ProcSemTable, ExactlyTenFields) {
    std::string extra = line(0, 3, 0600, 1, 0, 0, 0, 0, 0, 1);
    extra.insert(extra.size() - 1, " 0");
    ProcSemTableResult r = parse(kHeader + extra);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().describe(), "line 2: more than 10 fields");
    std::string short_line = line(0, 3, 0600, 1, 0, 0, 0, 0, 0, 1);
    short_line.erase(short_line.rfind(' '), std::string::npos);
    short_line += "\n";
    EXPECT_FALSE(parse(kHeader + short_line).ok()) << "nine fields";
    EXPECT_FALSE(parse(kHeader + "\n").ok()) << "an empty line";
    EXPECT_FALSE(parse(kHeader + "          \n").ok()) << "spaces only";
}

TEST(ProcSemTable, DigitsOnly) {
    const std::string good = line(12, 3, 0600, 1, 0, 0, 0, 0, 0, 1);
    ASSERT_TRUE(parse(kHeader + good).ok());
    auto with = [&](const std::string& from, const std::string& to) {
        std::string t = good;
        t.replace(t.find(from), from.size(), to);
        return kHeader + t;
    };
    EXPECT_FALSE(parse(with(" 600", " 680")).ok()) << "8 is not octal";
    EXPECT_FALSE(parse(with(" 600", " 0x180")).ok());
    EXPECT_FALSE(parse(with("         3", "        +3")).ok());
    EXPECT_FALSE(parse(with("        12", "        -0")).ok()) << "-0";
    EXPECT_FALSE(parse(with("        12", "       012")).ok()) << "leading zero";
    EXPECT_FALSE(parse(with("        12", "        1a")).ok());
    EXPECT_FALSE(parse(with("        12", "       1.2")).ok());
    EXPECT_FALSE(parse(with("         3", "        -3")).ok()) << "negative semid";
    EXPECT_FALSE(parse(with(" 1 ", "\t1 ")).ok()) << "a tab";
    EXPECT_FALSE(parse(with(" 1 ", "\r1 ")).ok());
    std::string crlf = good;
    crlf.insert(crlf.size() - 1, "\r");
    EXPECT_FALSE(parse(kHeader + crlf).ok()) << "CRLF";
}

TEST(ProcSemTable, NulBytesAreRefused) {
    std::string text = kThreeSets;
    text[text.size() - 3] = '\0';
    EXPECT_FALSE(parse(text).ok());
    EXPECT_FALSE(parse(kThreeSets + std::string(1, '\0')).ok()) << "after the last line";
    EXPECT_FALSE(parse(kThreeSets + std::string("\0\n", 2)).ok());
    std::string in_header = kThreeSets;
    in_header[2] = '\0';
    EXPECT_FALSE(parse(in_header).ok());
}

TEST(ProcSemTable, ValuesMustBeInRange) {
    auto ok = [](const std::string& l) { return parse(kHeader + l).ok(); };
    EXPECT_TRUE(ok(line(2147483647, 2147483647, 0777, 2147483647, 4294967295ul, 4294967295ul, 0, 0,
                        9223372036854775807ull, 9223372036854775807ull)));
    EXPECT_TRUE(ok(line(-2147483648ll, 0, 0, 1, 0, 0, 0, 0, 0, 0)));
    EXPECT_FALSE(ok(line(2147483648ll, 0, 0600, 1, 0, 0, 0, 0, 0, 1))) << "key";
    EXPECT_FALSE(ok(line(-2147483649ll, 0, 0600, 1, 0, 0, 0, 0, 0, 1))) << "key";
    EXPECT_FALSE(ok(line(0, 2147483648ll, 0600, 1, 0, 0, 0, 0, 0, 1))) << "semid";
    EXPECT_FALSE(ok(line(0, 1, 0200000, 1, 0, 0, 0, 0, 0, 1))) << "mode";
    EXPECT_FALSE(ok(line(0, 1, 0600, 0, 0, 0, 0, 0, 0, 1))) << "nsems 0";
    EXPECT_FALSE(ok(line(0, 1, 0600, 2147483648ul, 0, 0, 0, 0, 0, 1))) << "nsems";
    EXPECT_FALSE(ok(line(0, 1, 0600, 1, 4294967296ul, 0, 0, 0, 0, 1))) << "uid";
    EXPECT_FALSE(ok(line(0, 1, 0600, 1, 0, 4294967296ul, 0, 0, 0, 1))) << "gid";
    EXPECT_FALSE(ok(line(0, 1, 0600, 1, 0, 0, 4294967296ul, 0, 0, 1))) << "cuid";
    EXPECT_FALSE(ok(line(0, 1, 0600, 1, 0, 0, 0, 4294967296ul, 0, 1))) << "cgid";
    // A time before 1970 would print as a huge unsigned number: left to the walk.
    EXPECT_FALSE(ok(line(0, 1, 0600, 1, 0, 0, 0, 0, 9223372036854775808ull, 1))) << "otime";
    EXPECT_FALSE(ok(line(0, 1, 0600, 1, 0, 0, 0, 0, 0, 18446744073709551615ull))) << "ctime";
    const std::string huge(400, '9');
    EXPECT_FALSE(ok("0 1 600 1 0 0 0 0 0 " + huge + "\n")) << "400 digits";
    EXPECT_FALSE(ok("0 1 600 1 0 0 0 0 0 18446744073709551616\n")) << "2^64";
}

TEST(ProcSemTable, AnyFieldMayOverflowItsWidth) {
    // %5u with a uid of 7 digits leaves one space before it: still one field each.
    ProcSemTableResult r = parse(kHeader + "0 5 600 1 1000000 1000001 0 0 0 1\n");
    ASSERT_TRUE(r.ok()) << r.error().describe();
    EXPECT_EQ((*r)[0].uid, 1000000u);
    EXPECT_EQ((*r)[0].gid, 1000001u);
}

TEST(ProcSemTable, ErrorsNameTheLine) {
    const std::string text = kThreeSets + "garbage\n";
    ProcSemTableResult r = parse(text);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.error().line, 5u);
    EXPECT_EQ(r.error().describe(), "line 5: bad key");
    EXPECT_FALSE(parse(kThreeSets, 0).ok()) << "a mask of 0";
}

TEST(ProcSemTable, ThirtyThousandSets) {
    std::string text = kHeader;
    for (int i = 0; i < 30000; ++i)
        text += line(i % 7 == 0 ? 0 : -i, i, 0600, 1 + i % 5, 33, 33, 0, 0, 0, 1700000000 + i);
    ProcSemTableResult r = parse_proc_sem_table(text, kIpcmniIndexMask, 30000);
    ASSERT_TRUE(r.ok()) << r.error().describe();
    ASSERT_EQ(r->size(), 30000u);
    EXPECT_EQ(r->back().index, 29999);
    EXPECT_EQ(r->back().ctime, 1700029999);
}

// The reader feeds the parser what each read() gives: any cut, a line in two
// included, must give what the whole text gives, accepted or refused.
TEST(ProcSemTableParser, AnyCutGivesWhatTheWholeTextGives) {
    std::string truncated = kThreeSets.substr(0, kThreeSets.size() - 5);
    std::string bad = kThreeSets;
    bad.replace(bad.find(" 666 "), 5, " 686 ");
    for (const std::string& text : {kThreeSets, kHeader, truncated, bad, std::string()}) {
        const ProcSemTableResult whole = parse(text);
        for (size_t step = 1; step <= text.size() + 1; ++step) {
            ProcSemTableParser parser;
            bool fed = true;
            for (size_t at = 0; at < text.size() && fed; at += step)
                fed = parser.feed(std::string_view(text).substr(at, step));
            ProcSemTableResult cut = parser.finish();
            ASSERT_EQ(cut.ok(), whole.ok()) << "step " << step;
            if (!whole.ok()) {
                EXPECT_EQ(cut.error().describe(), whole.error().describe()) << "step " << step;
                continue;
            }
            ASSERT_FALSE(index_proc_sem_sets(cut.value(), kIpcmniIndexMask).has_value());
            ASSERT_EQ(cut->size(), whole->size());
            for (size_t i = 0; i < whole->size(); ++i) {
                EXPECT_EQ((*cut)[i].semid, (*whole)[i].semid);
                EXPECT_EQ((*cut)[i].key, (*whole)[i].key);
                EXPECT_EQ((*cut)[i].index, (*whole)[i].index);
                EXPECT_EQ((*cut)[i].ctime, (*whole)[i].ctime);
            }
        }
    }
}

TEST(ProcSemTableParser, StopsAtTheFirstRefusalAndBoundsALineWithoutEnd) {
    ProcSemTableParser parser;
    EXPECT_FALSE(parser.feed("garbage\n"));
    EXPECT_FALSE(parser.feed(kThreeSets)) << "refused stays refused";
    EXPECT_EQ(parser.finish().error().line, 1u);

    ProcSemTableParser endless;
    EXPECT_TRUE(endless.feed(kHeader));
    bool fed = true;
    for (int i = 0; i < 100 && fed; ++i) fed = endless.feed(std::string(1000, ' '));
    EXPECT_FALSE(fed) << "100,000 bytes without a newline were kept";
    EXPECT_EQ(endless.finish().error().line, 2u);
}

// A table that is out of order under IPCMNI may be in order under ipcmni_extend.
TEST(ProcSemTableParser, IndicesCanBeTriedUnderOneMaskThenAnother) {
    ProcSemTableParser parser;
    ASSERT_TRUE(parser.feed(kHeader + line(0, 0x01000005, 0600, 1, 0, 0, 0, 0, 0, 1) +
                            line(0, 0x8003, 0600, 1, 0, 0, 0, 0, 0, 1)));
    ProcSemTableResult r = parser.finish();
    ASSERT_TRUE(r.ok());
    EXPECT_EQ((*r)[0].index, -1) << "no index before a mask is chosen";
    std::optional<ProcSemTableError> under_ipcmni =
        index_proc_sem_sets(r.value(), kIpcmniIndexMask);
    ASSERT_TRUE(under_ipcmni.has_value());
    EXPECT_EQ(under_ipcmni->line, 3u);
    EXPECT_FALSE(index_proc_sem_sets(r.value(), kIpcmniExtendIndexMask).has_value());
    EXPECT_EQ((*r)[0].index, 5);
    EXPECT_EQ((*r)[1].index, 0x8003);
}

}  // namespace
}  // namespace semguard
