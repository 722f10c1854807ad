// What a renderer needs besides the model: facts about this one request.
#pragma once

#include <cstdint>
#include <string>

namespace semguard {

struct RenderOptions {
    int refresh = 0;        // seconds between reloads (StatusQuery::refresh); 0 = none
    int64_t now = 0;        // the request's wall clock, seconds; 0 = StatusModel::now
    std::string base_path;  // the handler's URL path as httpd decoded it (r->uri),
                            // for links to the other formats; "" = relative links
};

}  // namespace semguard
