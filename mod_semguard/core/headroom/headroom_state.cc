#include "headroom/headroom_state.h"

namespace semguard {

const char* to_string(HeadroomState s) {
    switch (s) {
        case HeadroomState::Ok: return "ok";
        case HeadroomState::Warn: return "warn";
        case HeadroomState::Critical: return "critical";
        case HeadroomState::Unknown: return "unknown";
    }
    return "unknown";
}

}  // namespace semguard
