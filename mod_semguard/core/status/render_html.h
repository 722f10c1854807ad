// The status page for administrators, in the manner of mod_status's
// /server-status: one self-contained HTML document (inline CSS, no scripts, no
// external requests), readable on a phone and on a wide screen.
#pragma once

#include <string>

#include "status/render_options.h"
#include "status/status_model.h"

namespace semguard {

// Every string from the model is HTML-escaped. Returns "" only if memory ran out.
std::string render_html(const StatusModel& model, const RenderOptions& options) noexcept;

}  // namespace semguard
