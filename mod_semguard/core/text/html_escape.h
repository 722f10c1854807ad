// Text from the model (ServerName, paths, mutex types, error messages) goes into
// the status page only through here: it can come from a configuration file an
// administrator did not write, or from the kernel.
#pragma once

#include <string>
#include <string_view>

namespace semguard {

// Safe in element content and in double- or single-quoted attribute values:
// & < > " ' become character references; ill-formed UTF-8 and control characters
// (which HTML treats as parse errors) become U+FFFD. Tab, LF and CR are kept.
void append_html_escaped(std::string& out, std::string_view text);
std::string html_escape(std::string_view text);

}  // namespace semguard
