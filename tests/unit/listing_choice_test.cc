// The choice between the file and the walk (kernel/listing_choice.h): the
// cheaper rest at each sample's rate. Figures are those measured on 30,000
// sets on two kernels (bench_scan).
#include "kernel/listing_choice.h"

#include <gtest/gtest.h>

namespace semguard {
namespace {

// v1045: a SEM_STAT_ANY cost 1.36 us, a line of the file 0.53 us.
TEST(ListingChoice, TheFileWhereSystemCallsAreDear) {
    const ListingSample walk{174'000, 128};
    const ListingSample proc{34'000, 64};
    EXPECT_EQ(cheaper_rest(walk, 30000 - 128, proc, 30000 - 64), ListingWay::Proc);
}

// v1252: a SEM_STAT_ANY cost 0.57 us, a line of the file 1.15 us.
TEST(ListingChoice, TheWalkWhereTheFileIsDear) {
    const ListingSample walk{73'000, 128};
    const ListingSample proc{74'000, 64};
    EXPECT_EQ(cheaper_rest(walk, 30000 - 128, proc, 30000 - 64), ListingWay::Walk);
}

// The walk pays for every index up to the highest, holes included; the file
// for every set. A sparse table (30,000 indices, 3,000 sets) favours the file
// even where a call costs less than a line.
TEST(ListingChoice, HolesCountAgainstTheWalk) {
    const ListingSample walk{73'000, 128};
    const ListingSample proc{74'000, 64};
    EXPECT_EQ(cheaper_rest(walk, 30000 - 128, proc, 3000 - 64), ListingWay::Proc);
}

TEST(ListingChoice, ASampleThatSaysNothingLeavesTheOther) {
    const ListingSample none{};
    const ListingSample walk{73'000, 128};
    const ListingSample proc{74'000, 64};
    EXPECT_EQ(cheaper_rest(walk, 1000, none, 1000), ListingWay::Walk);
    EXPECT_EQ(cheaper_rest(none, 1000, proc, 1000), ListingWay::Proc);
    EXPECT_EQ(cheaper_rest(none, 1000, none, 1000), ListingWay::Proc);
    // A clock that went backwards says nothing either.
    EXPECT_EQ(cheaper_rest(ListingSample{-5, 128}, 1000, proc, 1000), ListingWay::Proc);
}

TEST(ListingChoice, NothingLeftOrATieKeepsTheFile) {
    const ListingSample walk{100'000, 100};
    const ListingSample proc{100'000, 100};
    EXPECT_EQ(cheaper_rest(walk, 500, proc, 500), ListingWay::Proc);
    EXPECT_EQ(cheaper_rest(walk, 0, proc, 0), ListingWay::Proc);
    // A rest below zero (sets made since SEM_INFO) costs nothing, not less.
    EXPECT_EQ(cheaper_rest(walk, -50, proc, 0), ListingWay::Proc);
    EXPECT_EQ(cheaper_rest(walk, 0, proc, 10), ListingWay::Walk);
}

TEST(ListingChoice, LargeFiguresDoNotOverflow) {
    const ListingSample walk{INT64_MAX / 2, 1};
    const ListingSample proc{INT64_MAX / 4, 1};
    EXPECT_EQ(cheaper_rest(walk, 16'000'000, proc, 16'000'000), ListingWay::Proc);
}

// A sample's first part pays for cold caches and page faults (or a
// preemption): the faster part speaks for the rest.
TEST(ListingChoice, TheFasterPartOfASampleSpeaks) {
    const ListingSample cold{90'000, 64};  // 1.4 us a unit
    const ListingSample warm{37'000, 64};  // 0.58 us
    EXPECT_EQ(faster_part(cold, warm).nanoseconds, 37'000);
    EXPECT_EQ(faster_part(warm, cold).nanoseconds, 37'000);
    // per unit, not in all: 50 us for 100 lines beats 30 us for 40
    EXPECT_EQ(faster_part(ListingSample{30'000, 40}, ListingSample{50'000, 100}).units, 100);
    // a part without units, or with a clock gone backwards, says nothing
    EXPECT_EQ(faster_part(ListingSample{}, warm).nanoseconds, 37'000);
    EXPECT_EQ(faster_part(warm, ListingSample{5, 0}).nanoseconds, 37'000);
    EXPECT_EQ(faster_part(ListingSample{-1, 64}, cold).nanoseconds, 90'000);
    EXPECT_EQ(faster_part(ListingSample{}, ListingSample{}).units, 0);
}

}  // namespace
}  // namespace semguard
