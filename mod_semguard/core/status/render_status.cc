#include "status/render_status.h"

#include "status/render_auto.h"
#include "status/render_html.h"
#include "status/render_json.h"
#include "status/render_metrics.h"

namespace semguard {

const char* status_content_type(StatusFormat format) {
    switch (format) {
        case StatusFormat::Html: return "text/html; charset=utf-8";
        case StatusFormat::Auto: return "text/plain; charset=utf-8";
        case StatusFormat::Json: return "application/json";
        case StatusFormat::Metrics: return "text/plain; version=0.0.4; charset=utf-8";
    }
    return "text/html; charset=utf-8";
}

std::string render_status(StatusFormat format, const StatusModel& model,
                          const RenderOptions& options) noexcept {
    switch (format) {
        case StatusFormat::Html: return render_html(model, options);
        case StatusFormat::Auto: return render_auto(model, options);
        case StatusFormat::Json: return render_json(model, options);
        case StatusFormat::Metrics: return render_metrics(model, options);
    }
    return render_html(model, options);
}

}  // namespace semguard
