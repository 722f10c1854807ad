// Parked records: the names they get, which names list_parked accepts, the
// bound on how many are read, and the move of the state file aside.
#include "record/parked_records.h"

#include <stdlib.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

namespace semguard {
namespace {

namespace fs = std::filesystem;

class ParkedRecordsTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string templ = (fs::temp_directory_path() / "semguard-parked-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = templ;
        state_ = dir_ + "/semguard.0123456789abcdef.state";
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }
    void touch(const std::string& name, const std::string& content = "x") {
        std::ofstream(dir_ + "/" + name) << content;
    }
    std::string read(const std::string& path) {
        std::ifstream in(path);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    std::string dir_;
    std::string state_;
};

RunIdentity run(pid_t pid, uint64_t ticks) {
    RunIdentity r;
    r.parent_pid = pid;
    r.parent_start_ticks = ticks;
    return r;
}

TEST_F(ParkedRecordsTest, PathNamesParentPidAndStartTicks) {
    EXPECT_EQ(parked_path(state_, run(101, 123456)), state_ + ".parked.101.123456");
    EXPECT_EQ(parked_path("/run/apache2/x.state", run(7, 0)), "/run/apache2/x.state.parked.7.0");
    EXPECT_EQ(parked_path("x", run(4194304, 18446744073709551615ULL)),
              "x.parked.4194304.18446744073709551615");
}

TEST_F(ParkedRecordsTest, NothingParked) {
    EXPECT_TRUE(list_parked(state_).empty());
    touch("semguard.0123456789abcdef.state");
    EXPECT_TRUE(list_parked(state_).empty()) << "the state file itself is not parked";
}

TEST_F(ParkedRecordsTest, MissingDirectoryIsEmpty) {
    EXPECT_TRUE(list_parked(dir_ + "/nowhere/semguard.state").empty());
}

TEST_F(ParkedRecordsTest, OnlyWellFormedNamesOfThisStateFile) {
    const std::string base = "semguard.0123456789abcdef.state";
    touch(base + ".parked.101.1001");
    touch(base + ".parked.99.5");
    touch(base + ".parked.abc.1");
    touch(base + ".parked.101");
    touch(base + ".parked.101.");
    touch(base + ".parked..1001");
    touch(base + ".parked.101.1001.tmp");
    touch(base + ".parked.101.10x1");
    touch(base + ".parked.-1.5");
    touch(base + ".tmp.101.1");
    touch("semguard.fedcba9876543210.state.parked.1.2");  // another instance's
    touch("x" + base + ".parked.1.2");
    const auto found = list_parked(state_);
    EXPECT_EQ(found, (std::vector<std::string>{dir_ + "/" + base + ".parked.101.1001",
                                               dir_ + "/" + base + ".parked.99.5"}));
}

TEST_F(ParkedRecordsTest, SortedByNameAndBounded) {
    const std::string base = "semguard.0123456789abcdef.state";
    for (int i = 0; i < 20; ++i) touch(base + ".parked." + std::to_string(1000 + i) + ".7");
    const auto found = list_parked(state_);
    ASSERT_EQ(found.size(), kMaxParkedRecords);
    for (size_t i = 0; i < found.size(); ++i)
        EXPECT_EQ(found[i], dir_ + "/" + base + ".parked." + std::to_string(1000 + i) + ".7");
}

TEST_F(ParkedRecordsTest, FloodedDirectoryStaysBounded) {
    const std::string base = "semguard.0123456789abcdef.state";
    for (int i = 0; i < 500; ++i) touch(base + ".parked." + std::to_string(i) + ".1");
    EXPECT_EQ(list_parked(state_).size(), kMaxParkedRecords);
}

TEST_F(ParkedRecordsTest, ParkMovesTheStateFileAside) {
    touch("semguard.0123456789abcdef.state", "record of run 101\n");
    ASSERT_TRUE(park_state_file(state_, run(101, 1001)).ok());
    EXPECT_FALSE(fs::exists(state_));
    const std::string parked = state_ + ".parked.101.1001";
    ASSERT_TRUE(fs::exists(parked));
    EXPECT_EQ(read(parked), "record of run 101\n");
    EXPECT_EQ(list_parked(state_), std::vector<std::string>{parked});
}

TEST_F(ParkedRecordsTest, ParkWithoutAStateFileFails) {
    const SysStatus st = park_state_file(state_, run(101, 1001));
    ASSERT_FALSE(st.ok());
    EXPECT_EQ(st.error().code, ENOENT);
    EXPECT_NE(st.error().call.find("rename("), std::string::npos) << st.error().call;
    EXPECT_TRUE(list_parked(state_).empty());
}

TEST_F(ParkedRecordsTest, ParkingTheSameRunTwiceReplacesTheOlderCopy) {
    touch("semguard.0123456789abcdef.state", "first\n");
    ASSERT_TRUE(park_state_file(state_, run(101, 1001)).ok());
    touch("semguard.0123456789abcdef.state", "second\n");
    ASSERT_TRUE(park_state_file(state_, run(101, 1001)).ok());
    EXPECT_EQ(read(state_ + ".parked.101.1001"), "second\n");
    EXPECT_EQ(list_parked(state_).size(), 1u);
}

}  // namespace
}  // namespace semguard
