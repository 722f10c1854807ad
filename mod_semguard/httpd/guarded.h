// A hook body never lets an exception reach httpd: C++ exceptions cannot cross
// httpd's C frames. Whatever escapes is logged (SG0901) and the hook returns
// the fallback, so the server goes on without that check.
#pragma once

#include <exception>
#include <new>
#include <string>

#include "httpd.h"
#include "log_adapter.h"
#include "log/messages.h"

namespace semguard {
namespace glue {

template <class Result, class Body>
Result guarded(server_rec* s, const char* where, Result fallback, Body&& body) noexcept {
    try {
        return body();
    } catch (const std::exception& e) {
        try {
            HttpdLogger(s).log(Level::Error, tag::kInternal,
                               std::string(where) + " failed and was skipped: " + e.what());
        } catch (...) {
        }
    } catch (...) {
        try {
            HttpdLogger(s).log(Level::Error, tag::kInternal,
                               std::string(where) + " failed and was skipped");
        } catch (...) {
        }
    }
    return fallback;
}

}  // namespace glue
}  // namespace semguard
