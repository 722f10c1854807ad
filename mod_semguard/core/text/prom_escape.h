// Escaping for the Prometheus text exposition format 0.0.4. Label values may be
// any UTF-8 but must escape \ " and newline; HELP text escapes \ and newline.
// Scrapers reject ill-formed UTF-8, so such bytes become U+FFFD here.
#pragma once

#include <string>
#include <string_view>

namespace semguard {

// The inside of a label value's quotes.
std::string prom_label_value(std::string_view text);
// A HELP line's docstring.
std::string prom_help_text(std::string_view text);

}  // namespace semguard
