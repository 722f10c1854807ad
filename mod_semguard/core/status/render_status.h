// The one entry point the handler needs: the body and media type of the status
// response for the format a query asked for.
#pragma once

#include <string>

#include "status/render_options.h"
#include "status/status_model.h"
#include "status/status_query.h"

namespace semguard {

// "text/html; charset=utf-8", "text/plain; charset=utf-8" (?auto),
// "application/json" (?json), "text/plain; version=0.0.4; charset=utf-8" (?metrics).
const char* status_content_type(StatusFormat format);

// Returns "" only if memory ran out.
std::string render_status(StatusFormat format, const StatusModel& model,
                          const RenderOptions& options) noexcept;

}  // namespace semguard
