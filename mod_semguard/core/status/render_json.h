// ?json: one JSON document, schema "mod_semguard.status/1", documented field by
// field in README.md. Fields are only ever added within a schema
// version; renaming or removing one means "mod_semguard.status/2".
#pragma once

#include <string>

#include "status/render_options.h"
#include "status/status_model.h"

namespace semguard {

constexpr const char* kStatusJsonSchema = "mod_semguard.status/1";

// Always valid UTF-8 JSON, whatever bytes the model holds. Returns "" only if
// memory ran out.
std::string render_json(const StatusModel& model, const RenderOptions& options) noexcept;

}  // namespace semguard
