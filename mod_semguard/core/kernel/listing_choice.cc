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

// A sample with units and a clock that did not go backwards.
bool says_something(const ListingSample& sample) {
    return sample.units > 0 && sample.nanoseconds >= 0;
}

}  // namespace

ListingSample faster_part(const ListingSample& a, const ListingSample& b) {
    if (!says_something(a)) return b;
    if (!says_something(b)) return a;
    // a.ns / a.units <= b.ns / b.units, without a division
    const double lhs = static_cast<double>(a.nanoseconds) * static_cast<double>(b.units);
    const double rhs = static_cast<double>(b.nanoseconds) * static_cast<double>(a.units);
    return lhs <= rhs ? a : b;
}

ListingWay cheaper_rest(const ListingSample& walk, long walk_rest, const ListingSample& proc,
                        long proc_rest) {
    if (!says_something(proc)) return says_something(walk) ? ListingWay::Walk : ListingWay::Proc;
    if (!says_something(walk)) return ListingWay::Proc;
    return rest_cost(walk, walk_rest) < rest_cost(proc, proc_rest) ? ListingWay::Walk
                                                                   : ListingWay::Proc;
}

}  // namespace semguard
