// What the start-time diagnosis found, kept in the run's memory for the status
// page (which includes this header; the engine never includes the page's).
#pragma once

#include <string>

namespace semguard {

// What the start-time diagnosis found (issue #12).
struct DiagnosisView {
    bool removeipc_checked = false;
    bool removeipc_risk = false;  // logind's RemoveIPC can remove this server's sets
    std::string
        removeipc_verdict;       // one sentence: "no risk: ...", "at risk: ...", "protected: ..."
    std::string removeipc_said;  // what the run last logged of it (SG0130-SG0132), "" nothing
};

}  // namespace semguard
