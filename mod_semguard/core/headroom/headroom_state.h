// The verdict of the headroom check, in one word. The engine decides it; the
// status page shows it.
#pragma once

namespace semguard {

enum class HeadroomState { Ok, Warn, Critical, Unknown };
const char* to_string(HeadroomState s);  // "ok", "warn", "critical", "unknown"

}  // namespace semguard
