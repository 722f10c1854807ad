#include "text/decimal.h"

#include <cmath>
#include <cstdint>

namespace semguard {

std::string format_fixed(double value, int decimals) {
    if (decimals < 0) decimals = 0;
    if (decimals > 6) decimals = 6;
    int64_t scale = 1;
    for (int i = 0; i < decimals; ++i) scale *= 10;
    // Beyond this the scaled value would not fit an int64_t; no percentage gets near.
    constexpr double kLimit = 9.0e12;
    if (!std::isfinite(value)) value = 0;
    if (value > kLimit) value = kLimit;
    if (value < -kLimit) value = -kLimit;
    const int64_t scaled = std::llround(value * static_cast<double>(scale));
    const uint64_t magnitude =
        scaled < 0 ? static_cast<uint64_t>(-scaled) : static_cast<uint64_t>(scaled);
    std::string out = scaled < 0 ? "-" : "";
    out += std::to_string(magnitude / scale);
    if (decimals > 0) {
        std::string fraction = std::to_string(magnitude % scale);
        out += '.';
        out.append(decimals - fraction.size(), '0');
        out += fraction;
    }
    return out;
}

}  // namespace semguard
