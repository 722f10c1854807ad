// The state file on disk: what read_state_file refuses to trust, and that
// write_state_file replaces the file atomically and cleans up after itself.
#include "record/state_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "record/record_codec.h"

namespace semguard {
namespace {

namespace fs = std::filesystem;

constexpr uid_t kNobody = 65534;

Record sample_record(long generation = 2) {
    Record r;
    r.instance = {"/etc/apache2", "/etc/apache2/apache2.conf", "/run/apache2/apache2.pid"};
    r.run.parent_pid = 4242;
    r.run.boot_id = "0b5e3c1a-9d55-4a43-8f7e-1f1e5c3b2a10";
    r.phase = RunPhase::Running;
    r.generation = generation;
    r.written_at = 1700000123;
    RecordedSet s;
    s.identity.semid = 98304;
    s.identity.nsems = 1;
    s.identity.mode = 0600;
    s.creator_pid = 4242;
    s.type = "mpm-accept";
    r.sets.push_back(s);
    return r;
}

class StateFileTest : public ::testing::Test {
protected:
    void SetUp() override {
        std::string templ = (fs::temp_directory_path() / "semguard-state-XXXXXX").string();
        ASSERT_NE(::mkdtemp(templ.data()), nullptr);
        dir_ = templ;
        path_ = dir_ + "/semguard.0123456789abcdef.state";
    }
    void TearDown() override {
        std::error_code ignored;
        fs::remove_all(dir_, ignored);
    }

    void write_file(const std::string& path, const std::string& content, mode_t mode = 0600) {
        std::ofstream(path, std::ios::binary) << content;
        ASSERT_EQ(::chmod(path.c_str(), mode), 0);
    }

    std::string read_file(const std::string& path) {
        std::ifstream in(path, std::ios::binary);
        std::stringstream ss;
        ss << in.rdbuf();
        return ss.str();
    }

    std::vector<std::string> entries() {
        std::vector<std::string> names;
        for (const auto& e : fs::directory_iterator(dir_))
            names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    }

    StateFileResult read(size_t max_bytes = kDefaultStateFileMaxBytes) {
        return read_state_file(path_, ::geteuid(), max_bytes);
    }

    std::string rejection(const StateFileResult& r) {
        EXPECT_EQ(r.outcome, StateFileOutcome::Rejected) << "error: " << r.error.describe();
        return r.reason;
    }

    std::string dir_;
    std::string path_;
};

// ---- reading ---------------------------------------------------------------

TEST_F(StateFileTest, MissingFileIsAFirstStart) {
    const StateFileResult r = read();
    EXPECT_EQ(r.outcome, StateFileOutcome::Missing);
}

TEST_F(StateFileTest, ReadsWhatWasWritten) {
    ASSERT_TRUE(write_state_file(path_, sample_record()).ok());
    const StateFileResult r = read();
    ASSERT_EQ(r.outcome, StateFileOutcome::Ok) << r.reason << r.error.describe();
    EXPECT_EQ(r.record.generation, 2);
    EXPECT_EQ(r.record.instance.config_file, "/etc/apache2/apache2.conf");
    ASSERT_EQ(r.record.sets.size(), 1u);
    EXPECT_EQ(r.record.sets[0].identity.semid, 98304);
}

TEST_F(StateFileTest, AcceptsAFileOthersMayRead) {
    write_file(path_, encode_record(sample_record()), 0644);
    EXPECT_EQ(read().outcome, StateFileOutcome::Ok);
}

TEST_F(StateFileTest, RejectsSymlink) {
    const std::string target = dir_ + "/elsewhere";
    write_file(target, encode_record(sample_record()));
    ASSERT_EQ(::symlink(target.c_str(), path_.c_str()), 0);
    EXPECT_EQ(rejection(read()), "is a symbolic link");
    ASSERT_EQ(::unlink(path_.c_str()), 0);
    ASSERT_EQ(::symlink("/nonexistent/target", path_.c_str()), 0);
    EXPECT_EQ(rejection(read()), "is a symbolic link") << "a dangling link is not a missing file";
}

TEST_F(StateFileTest, RejectsFifoWithoutBlocking) {
    ASSERT_EQ(::mkfifo(path_.c_str(), 0600), 0);
    // Without O_NONBLOCK this open would wait for a writer forever.
    EXPECT_EQ(rejection(read()), "not a regular file");
}

TEST_F(StateFileTest, RejectsDirectory) {
    ASSERT_EQ(::mkdir(path_.c_str(), 0700), 0);
    EXPECT_EQ(rejection(read()), "not a regular file");
}

TEST_F(StateFileTest, RejectsSocket) {
    const int fd = ::socket(AF_UNIX, SOCK_STREAM, 0);
    ASSERT_GE(fd, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    ASSERT_LT(path_.size(), sizeof addr.sun_path);
    std::copy(path_.begin(), path_.end(), addr.sun_path);
    ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    EXPECT_EQ(rejection(read()), "not a regular file");
    ::close(fd);
}

TEST_F(StateFileTest, RejectsForeignOwner) {
    if (::geteuid() != 0) GTEST_SKIP() << "chown needs root";
    ASSERT_TRUE(write_state_file(path_, sample_record()).ok());
    ASSERT_EQ(::chown(path_.c_str(), kNobody, kNobody), 0);
    EXPECT_EQ(rejection(read_state_file(path_, 0)), "owned by uid 65534, not root");
}

TEST_F(StateFileTest, RejectsOwnerOtherThanRequired) {
    ASSERT_TRUE(write_state_file(path_, sample_record()).ok());
    const uid_t other = ::geteuid() + 1;
    EXPECT_EQ(rejection(read_state_file(path_, other)),
              "owned by uid " + std::to_string(::geteuid()) + ", not uid " + std::to_string(other));
}

TEST_F(StateFileTest, RejectsGroupOrOtherWritable) {
    write_file(path_, encode_record(sample_record()), 0666);
    EXPECT_EQ(rejection(read()), "writable by group or others (mode 0666)");
    ASSERT_EQ(::chmod(path_.c_str(), 0620), 0);
    EXPECT_EQ(rejection(read()), "writable by group or others (mode 0620)");
    ASSERT_EQ(::chmod(path_.c_str(), 0602), 0);
    EXPECT_EQ(rejection(read()), "writable by group or others (mode 0602)");
}

TEST_F(StateFileTest, RejectsHardLinks) {
    ASSERT_TRUE(write_state_file(path_, sample_record()).ok());
    ASSERT_EQ(::link(path_.c_str(), (dir_ + "/second-name").c_str()), 0);
    EXPECT_EQ(rejection(read()), "has 2 hard links");
}

TEST_F(StateFileTest, RejectsTooBig) {
    const std::string text = encode_record(sample_record());
    write_file(path_, text);
    EXPECT_EQ(read(text.size()).outcome, StateFileOutcome::Ok);
    EXPECT_EQ(rejection(read(text.size() - 1)), "is " + std::to_string(text.size()) +
                                                    " bytes, more than " +
                                                    std::to_string(text.size() - 1));
}

TEST_F(StateFileTest, RejectsAboveTheDefaultLimitWithoutReadingIt) {
    write_file(path_, "");
    ASSERT_EQ(::truncate(path_.c_str(), 9000000), 0);  // sparse: costs no disk
    EXPECT_EQ(rejection(read()), "is 9000000 bytes, more than 4194304");
}

TEST_F(StateFileTest, RejectsEmptyFile) {
    write_file(path_, "");
    EXPECT_EQ(rejection(read()), "the file is empty");
}

TEST_F(StateFileTest, RejectsDamagedContentWithTheDecodeError) {
    std::string text = encode_record(sample_record());
    text.replace(text.find("set 98304"), 9, "set 98x04");
    write_file(path_, text);
    EXPECT_EQ(rejection(read()), "line 17: semid is not a number");
    const std::string whole = encode_record(sample_record());
    write_file(path_, whole.substr(0, whole.find("run.parent_pid") + 5));  // cut inside line 5
    EXPECT_EQ(rejection(read()), "line 5: the last line has no newline: file truncated");
}

TEST_F(StateFileTest, ReportsIoErrors) {
    write_file(dir_ + "/plain", "x");
    const StateFileResult r = read_state_file(dir_ + "/plain/state", ::geteuid());
    ASSERT_EQ(r.outcome, StateFileOutcome::IoError);
    EXPECT_EQ(r.error.code, ENOTDIR);
    EXPECT_NE(r.error.call.find(dir_ + "/plain/state"), std::string::npos) << r.error.call;
}

// ---- writing ---------------------------------------------------------------

TEST_F(StateFileTest, WritesMode0600OwnedByEuidAndNothingElse) {
    // Exactly 0600 whatever httpd's umask: neither looser nor stricter.
    for (const mode_t mask : {mode_t{0}, mode_t{0277}}) {
        SCOPED_TRACE("umask " + std::to_string(mask));
        const mode_t old_umask = ::umask(mask);
        const SysStatus s = write_state_file(path_, sample_record());
        ::umask(old_umask);
        ASSERT_TRUE(s.ok()) << s.error().describe();
        struct stat st {};
        ASSERT_EQ(::lstat(path_.c_str(), &st), 0);
        EXPECT_TRUE(S_ISREG(st.st_mode));
        EXPECT_EQ(st.st_mode & 07777, 0600u);
        EXPECT_EQ(st.st_uid, ::geteuid());
        EXPECT_EQ(st.st_nlink, 1u);
        EXPECT_EQ(entries(), std::vector<std::string>{"semguard.0123456789abcdef.state"});
        EXPECT_EQ(read_file(path_), encode_record(sample_record()));
    }
}

TEST_F(StateFileTest, ReplacesTheOldFileByRename) {
    ASSERT_TRUE(write_state_file(path_, sample_record(1)).ok());
    struct stat before {};
    ASSERT_EQ(::stat(path_.c_str(), &before), 0);
    // A reader that opened the old file keeps reading the old content.
    const int old_fd = ::open(path_.c_str(), O_RDONLY);
    ASSERT_GE(old_fd, 0);

    ASSERT_TRUE(write_state_file(path_, sample_record(7)).ok());
    struct stat after {};
    ASSERT_EQ(::stat(path_.c_str(), &after), 0);
    EXPECT_NE(before.st_ino, after.st_ino) << "rewritten in place, not renamed over";
    char first[64] = {};
    ASSERT_GT(::pread(old_fd, first, sizeof first - 1, 0), 0);
    ::close(old_fd);
    EXPECT_EQ(std::string(first).rfind("mod_semguard state 1\n", 0), 0u);

    const StateFileResult r = read();
    ASSERT_EQ(r.outcome, StateFileOutcome::Ok);
    EXPECT_EQ(r.record.generation, 7);
    EXPECT_EQ(entries().size(), 1u);
}

TEST_F(StateFileTest, FailedRenameLeavesNoTempFile) {
    ASSERT_EQ(::mkdir(path_.c_str(), 0700), 0);  // rename(file, directory) fails
    const SysStatus s = write_state_file(path_, sample_record());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, EISDIR);
    EXPECT_NE(s.error().call.find("rename("), std::string::npos) << s.error().call;
    EXPECT_EQ(entries(), std::vector<std::string>{"semguard.0123456789abcdef.state"});
}

TEST_F(StateFileTest, FailedWriteLeavesNoTempFileAndTheOldFileIntact) {
    ASSERT_TRUE(write_state_file(path_, sample_record(1)).ok());
    const std::string old_content = read_file(path_);
    // A file size limit makes write() short, then fail with EFBIG: a full disk.
    rlimit old_limit{};
    ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old_limit), 0);
    const rlimit small{100, old_limit.rlim_max};
    const auto old_handler = ::signal(SIGXFSZ, SIG_IGN);
    ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &small), 0);
    const SysStatus s = write_state_file(path_, sample_record(7));
    ::setrlimit(RLIMIT_FSIZE, &old_limit);
    ::signal(SIGXFSZ, old_handler);

    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, EFBIG);
    EXPECT_NE(s.error().call.find("write("), std::string::npos) << s.error().call;
    EXPECT_EQ(entries(), std::vector<std::string>{"semguard.0123456789abcdef.state"});
    EXPECT_EQ(read_file(path_), old_content);
}

TEST_F(StateFileTest, MissingDirectoryIsAnError) {
    const SysStatus s = write_state_file(dir_ + "/absent/x.state", sample_record());
    ASSERT_FALSE(s.ok());
    EXPECT_EQ(s.error().code, ENOENT);
    EXPECT_TRUE(entries().empty());
}

TEST_F(StateFileTest, SkipsTempNamesThatExistInsteadOfClobberingThem) {
    // A previous httpd with our pid may have crashed mid-write. Occupy every
    // other counter value; the write must step past them and leave them intact.
    const std::string prefix = path_ + ".tmp." + std::to_string(::getpid()) + ".";
    for (int n = 0; n < 2000; n += 2) write_file(prefix + std::to_string(n), "leftover");
    ASSERT_TRUE(write_state_file(path_, sample_record()).ok());
    ASSERT_TRUE(write_state_file(path_, sample_record()).ok());
    for (int n = 0; n < 2000; n += 2) ASSERT_EQ(read_file(prefix + std::to_string(n)), "leftover");
    EXPECT_EQ(entries().size(), 1000u + 1u);
    EXPECT_EQ(read().outcome, StateFileOutcome::Ok);
}

TEST_F(StateFileTest, WritesRelativeToTheCurrentDirectory) {
    const std::string old_cwd = fs::current_path().string();
    ASSERT_EQ(::chdir(dir_.c_str()), 0);
    const SysStatus s = write_state_file("bare.state", sample_record());
    const StateFileResult r = read_state_file("bare.state", ::geteuid());
    ASSERT_EQ(::chdir(old_cwd.c_str()), 0);
    ASSERT_TRUE(s.ok()) << s.error().describe();
    EXPECT_EQ(r.outcome, StateFileOutcome::Ok);
}

// ---- leftovers -------------------------------------------------------------

TEST_F(StateFileTest, RemovesOnlyOurOwnCrashLeftovers) {
    const bool root = ::geteuid() == 0;
    ASSERT_TRUE(write_state_file(path_, sample_record()).ok());
    const std::string base = path_ + ".tmp.";
    write_file(base + "123.0", "crash leftover");
    write_file(base + "4.56", "crash leftover");
    write_file(base + "notours", "an administrator's file");
    write_file(base + "1.2.3", "not our pattern");
    write_file(base + "12", "not our pattern");
    write_file(dir_ + "/other.state.tmp.1.2", "another instance's leftover");
    ASSERT_EQ(::mkdir((base + "7.8").c_str(), 0700), 0);
    const std::string target = dir_ + "/target";
    write_file(target, "must survive");
    ASSERT_EQ(::symlink(target.c_str(), (base + "9.10").c_str()), 0);
    if (root) {
        write_file(base + "11.12", "someone else's");
        ASSERT_EQ(::chown((base + "11.12").c_str(), kNobody, kNobody), 0);
    }

    remove_stale_temp_files(path_);

    std::vector<std::string> expected = {
        "other.state.tmp.1.2",
        "semguard.0123456789abcdef.state",
        "semguard.0123456789abcdef.state.tmp.1.2.3",
        "semguard.0123456789abcdef.state.tmp.12",
        "semguard.0123456789abcdef.state.tmp.7.8",
        "semguard.0123456789abcdef.state.tmp.9.10",
        "semguard.0123456789abcdef.state.tmp.notours",
        "target",
    };
    if (root) expected.push_back("semguard.0123456789abcdef.state.tmp.11.12");
    std::sort(expected.begin(), expected.end());
    EXPECT_EQ(entries(), expected);
    EXPECT_EQ(read_file(target), "must survive");
    EXPECT_EQ(read().outcome, StateFileOutcome::Ok);
}

TEST_F(StateFileTest, RemovingLeftoversFromAMissingDirectoryIsHarmless) {
    remove_stale_temp_files(dir_ + "/absent/x.state");
    remove_stale_temp_files("");
    EXPECT_TRUE(entries().empty());
}

// ---- naming ----------------------------------------------------------------

TEST(StatePath, IsPerInstanceInTheRuntimeDir) {
    const InstanceIdentity a{"/etc/apache2", "/etc/apache2/apache2.conf",
                             "/run/apache2/apache2.pid"};
    const InstanceIdentity b{"/etc/apache2-b", "/etc/apache2-b/apache2.conf",
                             "/run/apache2-b/apache2.pid"};
    EXPECT_EQ(default_state_path("/run/apache2", a),
              "/run/apache2/semguard." + a.digest() + ".state");
    EXPECT_EQ(a.digest().size(), 16u);
    EXPECT_NE(default_state_path("/run/apache2", a), default_state_path("/run/apache2", b));
}

}  // namespace
}  // namespace semguard
