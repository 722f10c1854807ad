// Status models for the renderer tests, the corpus replay and the sample page:
// one of each situation the status page must present.
#pragma once

#include <string>

#include "status/status_model.h"

namespace semguard::test {

// prefork with four SysV mutexes after a crash: a multi-semaphore set, a held
// semaphore with waiters, a set that is missing, one whose id was reused, one that
// could not be read; reclaimed, kept and look-alike sets; headroom "warn".
StatusModel rich_status_model();

// Every mutex uses fcntl or pthread: no SysV sets at all.
StatusModel no_sysv_status_model();

// Every string field set to `text` (markup, quotes, newlines, bad UTF-8...).
StatusModel status_model_with_all_strings(const std::string& text);

// The strings an attacker or a broken configuration could put into the model.
extern const char* const kHostileText;

}  // namespace semguard::test
