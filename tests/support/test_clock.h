// The wall clock of a test: the fake kernel and the fake probe read it, the
// test sets and advances it.
#pragma once

#include <cstdint>

namespace semguard {

// One wall clock (seconds) shared by the fakes, so that ctime, otime and dtime
// agree the way the real ones do.
class TestClock {
public:
    explicit TestClock(int64_t start = 1700000000) : now_(start) {}
    int64_t now() const { return now_; }
    void advance(int64_t seconds = 1) { now_ += seconds; }
    void set(int64_t now) { now_ = now; }

private:
    int64_t now_;
};

}  // namespace semguard
