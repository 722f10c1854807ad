// JSON strings from arbitrary bytes. RFC 8259 requires UTF-8 text, so bytes that
// are not well-formed UTF-8 (a Latin-1 path, say) become U+FFFD rather than
// making the whole document unparseable.
#pragma once

#include <string>
#include <string_view>

namespace semguard {

// Appends `text` as a quoted JSON string. Control characters are escaped; so are
// < > & (as \u003c...), so the document stays inert if a browser ever sniffs it
// as HTML, and U+2028/U+2029, which JavaScript string literals once rejected.
void append_json_string(std::string& out, std::string_view text);

}  // namespace semguard
