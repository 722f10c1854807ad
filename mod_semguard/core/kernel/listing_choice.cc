#include "kernel/listing_choice.h"

namespace semguard {

namespace {

// The rest's cost at the sample's rate, in nanoseconds (as a double: 30,000
// units at a few microseconds each overflows nothing, but the product of two
// large longs could).
double rest_cost(const ListingSample& sample, long rest) {
    const double per_unit = static_cast<double>(sample.nanoseconds) / sample.units;
    return per_unit * static_cast<double>(rest < 0 ? 0 : rest);
}

}  // namespace

ListingSample faster_part(const ListingSample& a, const ListingSample& b) {
    if (a.units <= 0 || a.nanoseconds < 0) return b;
    if (b.units <= 0 || b.nanoseconds < 0) return a;
    // a.ns / a.units <= b.ns / b.units, without a division
    const double lhs = static_cast<double>(a.nanoseconds) * static_cast<double>(b.units);
    const double rhs = static_cast<double>(b.nanoseconds) * static_cast<double>(a.units);
    return lhs <= rhs ? a : b;
}

ListingWay cheaper_rest(const ListingSample& walk, long walk_rest, const ListingSample& proc,
                        long proc_rest) {
    const bool walk_known = walk.units > 0 && walk.nanoseconds >= 0;
    const bool proc_known = proc.units > 0 && proc.nanoseconds >= 0;
    if (!proc_known) return walk_known ? ListingWay::Walk : ListingWay::Proc;
    if (!walk_known) return ListingWay::Proc;
    return rest_cost(walk, walk_rest) < rest_cost(proc, proc_rest) ? ListingWay::Walk
                                                                   : ListingWay::Proc;
}

}  // namespace semguard
