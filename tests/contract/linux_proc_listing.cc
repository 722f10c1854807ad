// Linux only: LinuxSemKernel::list_sets reads /proc/sysvipc/sem (issue #15)
// and must give exactly what the SEM_STAT_ANY walk gives, index included; where
// the file cannot be trusted (missing, not procfs, not the semaphore table)
// it walks, and the caller cannot tell but by last_listing(). From
// kSampleListingFrom sets on it samples both ways and goes on with the cheaper
// (listing_choice.h): whichever it takes, the same sets. Instantiated as
// Linux/* only, in the same private namespace as the contract suite.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE 1
#endif

#include <sys/sem.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "kernel/linux_kernel.h"
#include "kernel/linux_proc_sem.h"
#include "kernel/listing_choice.h"
#include "kernel_contract.h"
#include "real_ipc.h"

namespace semguard {
namespace {

class LinuxProcListing : public KernelContract {
protected:
    // A table with what the file and the walk could disagree on: IPC_PRIVATE,
    // a positive and a negative key, sizes, modes, owners changed by IPC_SET,
    // a semop'd set (otime), and holes left by removals.
    void make_varied_table() {
        struct Spec {
            int32_t key;
            unsigned long nsems;
            unsigned mode;
        };
        const Spec specs[] = {
            {0, 1, 0600},         {0x5e0001, 3, 0644},     {-123456789, 7, 0666}, {0, 2, 0400},
            {INT32_MIN, 1, 0000}, {0x7fffffff, 250, 0777}, {0, 1, 0640},          {-1, 4, 0660},
            {0, 1, 0600},         {0x1234, 1, 0600},
        };
        for (const Spec& s : specs) {
            int id = -1;
            ASSERT_TRUE(create(&id, s.nsems, s.mode, s.key)) << s.key;
            ids_.push_back(id);
        }
        ASSERT_TRUE(Ok(kernel().remove_set(ids_[1])));  // holes
        ASSERT_TRUE(Ok(kernel().remove_set(ids_[6])));
        ASSERT_TRUE(Ok(kernel().set_owner(ids_[2], 33, 44, 0640)));
        ASSERT_TRUE(Ok(kernel().set_owner(ids_[9], 65534, 0, 0604)));
        ASSERT_TRUE(Ok(world().semop_by_other(ids_[3], 1, +1)));
        ASSERT_TRUE(Ok(world().semop_by_other(ids_[9], 0, +2)));
        // A set made after the removals may take a hole: the table is not in id order.
        int late = -1;
        ASSERT_TRUE(create(&late, 2, 0600, 0));
        ids_.push_back(late);
    }

    // The varied table, then one-semaphore sets up to `total`, every seventh
    // removed again: a table large enough to be sampled, with holes past the
    // walk's sample as well as inside it.
    void make_large_table(size_t total) {
        make_varied_table();
        if (HasFatalFailure()) return;
        std::vector<int> removed;
        for (size_t i = 0; ids_.size() < total; ++i) {
            int id = -1;
            ASSERT_TRUE(create(&id, 1, 0600, 0));
            (i % 7 == 3 ? removed : ids_).push_back(id);
        }
        for (const int id : removed) ASSERT_TRUE(Ok(kernel().remove_set(id)));
    }

    // The walk over every index: the reference.
    std::vector<SetInfo> walk(LinuxSemKernel& k) {
        SysResult<SemUsage> usage = k.usage();
        EXPECT_TRUE(Ok(usage));
        if (!usage) return {};
        SysResult<std::vector<SetInfo>> sets = k.list_sets_between(0, usage->highest_index);
        EXPECT_TRUE(Ok(sets));
        return sets ? *sets : std::vector<SetInfo>();
    }

    static void expect_same(const std::vector<SetInfo>& got, const std::vector<SetInfo>& want) {
        ASSERT_EQ(got.size(), want.size());
        for (size_t i = 0; i < want.size(); ++i) {
            SCOPED_TRACE("set " + std::to_string(i) + ", id " + std::to_string(want[i].semid));
            EXPECT_EQ(got[i].semid, want[i].semid);
            EXPECT_EQ(got[i].index, want[i].index);
            EXPECT_EQ(got[i].key, want[i].key);
            EXPECT_EQ(got[i].uid, want[i].uid);
            EXPECT_EQ(got[i].gid, want[i].gid);
            EXPECT_EQ(got[i].cuid, want[i].cuid);
            EXPECT_EQ(got[i].cgid, want[i].cgid);
            EXPECT_EQ(got[i].mode, want[i].mode);
            EXPECT_EQ(got[i].nsems, want[i].nsems);
            EXPECT_EQ(got[i].otime, want[i].otime);
            EXPECT_EQ(got[i].ctime, want[i].ctime);
        }
    }

    std::string temp_file(const std::string& text) {
        char path[] = "/tmp/semguard-proc-sem-XXXXXX";
        const int fd = ::mkstemp(path);
        EXPECT_GE(fd, 0);
        if (fd >= 0) {
            EXPECT_EQ(::write(fd, text.data(), text.size()), static_cast<ssize_t>(text.size()));
            ::close(fd);
        }
        temps_.push_back(path);
        return path;
    }

    void TearDown() override {
        for (const std::string& p : temps_) ::unlink(p.c_str());
    }

    std::vector<int> ids_;
    std::vector<std::string> temps_;
};

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

TEST_P(LinuxProcListing, TheFileGivesWhatTheWalkGivesFieldForField) {
    make_varied_table();
    if (HasFatalFailure()) return;
    LinuxSemKernel k;
    SysResult<std::vector<SetInfo>> listed = k.list_sets();
    ASSERT_TRUE(Ok(listed));
    EXPECT_EQ(k.last_listing(), LinuxSemKernel::Listing::Proc);
    const std::vector<SetInfo> walked = walk(k);
    ASSERT_EQ(walked.size(), ids_.size() - 2);
    expect_same(*listed, walked);
    // The values the table was made with, as the walk sees them.
    bool saw_owner = false, saw_otime = false, saw_negative = false;
    for (const SetInfo& s : *listed) {
        EXPECT_EQ(s.index, index_of(s.semid));
        saw_owner |= s.uid == 33 && s.gid == 44 && s.mode == 0640 && s.nsems == 7;
        saw_otime |= s.otime != 0 && s.nsems == 2 && s.mode == 0400;
        saw_negative |= s.key == -1 && s.nsems == 4;
    }
    EXPECT_TRUE(saw_owner);
    EXPECT_TRUE(saw_otime);
    EXPECT_TRUE(saw_negative);
}

TEST_P(LinuxProcListing, AMissingFileIsLeftToTheWalk) {
    make_varied_table();
    if (HasFatalFailure()) return;
    LinuxSemKernel k("/nonexistent/sysvipc/sem");
    SysResult<std::vector<SetInfo>> listed = k.list_sets();
    ASSERT_TRUE(Ok(listed));
    EXPECT_EQ(k.last_listing(), LinuxSemKernel::Listing::Walk);
    expect_same(*listed, walk(k));
    LinuxSemKernel none("");
    ASSERT_TRUE(Ok(none.list_sets()));
    EXPECT_EQ(none.last_listing(), LinuxSemKernel::Listing::Walk);
}

// An ordinary file is refused by fstatfs whatever it holds: a forged table
// that omits sets, garbage, and even a faithful copy of the real table.
TEST_P(LinuxProcListing, AnOrdinaryFileIsRefusedWhateverItHolds) {
    make_varied_table();
    if (HasFatalFailure()) return;
    const std::string real = read_all(kProcSysvipcSem);
    ASSERT_EQ(real.compare(0, 13, "       key   "), 0) << real;
    const std::string header_only = real.substr(0, real.find('\n') + 1);
    std::string last_only = header_only + real.substr(real.rfind('\n', real.size() - 2) + 1);
    for (const std::string& text :
         {real, header_only, last_only, std::string("garbage\n"), std::string()}) {
        LinuxSemKernel k(temp_file(text));
        SysResult<std::vector<SetInfo>> listed = k.list_sets();
        ASSERT_TRUE(Ok(listed));
        EXPECT_EQ(k.last_listing(), LinuxSemKernel::Listing::Walk) << text;
        expect_same(*listed, walk(k));
    }
}

// Procfs, but not the semaphore table: the parser refuses the header.
TEST_P(LinuxProcListing, AnotherProcfsFileIsRefusedByTheParser) {
    make_varied_table();
    if (HasFatalFailure()) return;
    for (const char* path : {"/proc/sysvipc/shm", "/proc/sysvipc/msg", "/proc/self/stat"}) {
        LinuxSemKernel k(path);
        SysResult<std::vector<SetInfo>> listed = k.list_sets();
        ASSERT_TRUE(Ok(listed));
        EXPECT_EQ(k.last_listing(), LinuxSemKernel::Listing::Walk) << path;
        expect_same(*listed, walk(k));
    }
}

TEST_P(LinuxProcListing, AnEmptyTableIsLeftToTheWalk) {
    LinuxSemKernel k;
    SysResult<std::vector<SetInfo>> listed = k.list_sets();
    ASSERT_TRUE(Ok(listed));
    EXPECT_TRUE(listed->empty());
    EXPECT_EQ(k.last_listing(), LinuxSemKernel::Listing::Walk);
    int id = -1;
    ASSERT_TRUE(create(&id));
    listed = k.list_sets();
    ASSERT_TRUE(Ok(listed));
    EXPECT_EQ(k.last_listing(), LinuxSemKernel::Listing::Proc);
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].semid, id);
}

// A table to sample: whichever way list_sets takes on this kernel, and each
// way forced, the sets the walk gives.
TEST_P(LinuxProcListing, ALargeTableGivesWhatTheWalkGivesWhicheverWayIsTaken) {
    make_large_table(kSampleListingFrom + 200);
    if (HasFatalFailure()) return;
    LinuxSemKernel k;
    const std::vector<SetInfo> walked = walk(k);
    ASSERT_EQ(walked.size(), ids_.size() - 2);  // the varied table removed two
    ASSERT_GT(walked.size(), static_cast<size_t>(kSampleListingFrom));
    SysResult<std::vector<SetInfo>> listed = k.list_sets();
    ASSERT_TRUE(Ok(listed));
    EXPECT_NE(k.last_listing(), LinuxSemKernel::Listing::None);
    expect_same(*listed, walked);

    LinuxSemKernel file(kProcSysvipcSem, LinuxSemKernel::LargeTables::File);
    listed = file.list_sets();
    ASSERT_TRUE(Ok(listed));
    EXPECT_EQ(file.last_listing(), LinuxSemKernel::Listing::Proc);
    expect_same(*listed, walked);

    // The file's sample fails: the walk goes on after its own sample.
    const std::string real = read_all(kProcSysvipcSem);
    for (const std::string& path : {std::string("/nonexistent/sysvipc/sem"),
                                    std::string("/proc/sysvipc/msg"), temp_file(real)}) {
        LinuxSemKernel other(path);
        listed = other.list_sets();
        ASSERT_TRUE(Ok(listed));
        EXPECT_EQ(other.last_listing(), LinuxSemKernel::Listing::Walk) << path;
        expect_same(*listed, walked);
    }
}

// The file read in steps, as list_sets reads it where the file's sample wins:
// the sample's two pages, then the rest through the same descriptor. (On a
// kernel where the walk wins, list_sets never takes this path by itself.)
TEST_P(LinuxProcListing, TheFileReadAfterItsSampleGivesWhatTheWalkGives) {
    make_large_table(kSampleListingFrom + 200);
    if (HasFatalFailure()) return;
    LinuxSemKernel k;
    const std::vector<SetInfo> walked = walk(k);
    ProcSemFile file(kProcSysvipcSem, walked.size());
    ASSERT_TRUE(file.usable());
    ASSERT_TRUE(file.read_sets(1, static_cast<size_t>(kProcSampleBytes)));
    const size_t first_page = file.sets_read();
    EXPECT_GE(first_page, 1u);
    ASSERT_TRUE(file.read_sets(first_page + 1, static_cast<size_t>(kProcSampleBytes)));
    EXPECT_GT(file.sets_read(), first_page);
    EXPECT_LT(file.sets_read(), walked.size());  // a sample, not the whole file
    std::optional<std::vector<SetInfo>> read = file.finish();
    ASSERT_TRUE(read.has_value());
    expect_same(*read, walked);
    EXPECT_FALSE(file.usable());  // finish closes it
}

// Ids of a later sequence (the index reused after removals) still give their
// index under the IPCMNI mask, and the file's order is the index order.
TEST_P(LinuxProcListing, ReusedIndicesAfterManyCreations) {
    std::vector<int> kept;
    for (int round = 0; round < 3; ++round) {
        std::vector<int> made;
        for (int i = 0; i < 80; ++i) {
            int id = -1;
            ASSERT_TRUE(create(&id, 1 + i % 3, 0600, 0));
            made.push_back(id);
        }
        for (size_t i = 0; i < made.size(); ++i) {
            if (static_cast<int>(i % 4) == round) {
                kept.push_back(made[i]);
            } else {
                ASSERT_TRUE(Ok(kernel().remove_set(made[i])));
            }
        }
    }
    LinuxSemKernel k;
    SysResult<std::vector<SetInfo>> listed = k.list_sets();
    ASSERT_TRUE(Ok(listed));
    EXPECT_EQ(k.last_listing(), LinuxSemKernel::Listing::Proc);
    EXPECT_EQ(listed->size(), kept.size());
    bool later_sequence = false;
    for (const SetInfo& s : *listed) later_sequence |= s.semid >= 32768;
    EXPECT_TRUE(later_sequence) << "no id beyond the first sequence: the test proves less";
    expect_same(*listed, walk(k));
}

INSTANTIATE_TEST_SUITE_P(Linux, LinuxProcListing, ::testing::Values(linux_world_factory()));

}  // namespace
}  // namespace semguard
