// Decimal numbers written the same way whatever the C locale.
#pragma once

#include <string>

namespace semguard {

// `value` with `decimals` (0..6) digits after a ".", rounded: "12.50". Independent
// of the C locale, which another module in the process may have set to use ",".
// Non-finite values give "0".
std::string format_fixed(double value, int decimals);

}  // namespace semguard
