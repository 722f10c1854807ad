// mod_semguard's part of mod_status's /server-status page: a short section in
// its HTML, and "SemGuard*" lines in its ?auto output (prefixed so that they
// never collide with mod_status's own keys).
#pragma once

#include <string>

#include "status/status_model.h"

namespace semguard {

std::string render_server_status_html(const StatusModel& model, const std::string& page_path);
std::string render_server_status_auto(const StatusModel& model);

}  // namespace semguard
