// Values of the status model put into words, the same way in every format, so
// that the HTML page, ?auto and the JSON document never disagree.
#pragma once

#include <cstdint>
#include <string>

#include "status/status_model.h"
#include "text/decimal.h"

namespace semguard {

// "1 day 2 hours 3 minutes 4 seconds", zero parts left out as mod_status does;
// "0 seconds" for zero; "unknown" for a negative span (a clock stepped back).
std::string format_duration(int64_t seconds);

// "2024-05-01 12:34:56 UTC". Independent of the TZ and locale of the server.
// Times outside years 1970..9999 are shown as "@<seconds>", never as a wrong date.
std::string format_utc_time(int64_t seconds_since_epoch);

// For a table column headed "(UTC)": "2024-05-01 12:34:56" without the zone, and
// "never" for 0 (what the kernel reports for a set nobody has operated on).
std::string format_sem_time(int64_t seconds_since_epoch);

// Permission bits as ipcs would write them, with the octal marker: "0600".
std::string format_mode_octal(unsigned mode);

// httpd's SysV mutexes are binary semaphores that start at 1 (unlocked).
// "free" for 1, "held" for 0, "value N" for anything else.
std::string semaphore_state_word(int value);
// The machine-readable counterpart: "free", "held" or "other".
const char* semaphore_state_key(int value);

// "(alive, ours)", "(alive, not ours)" or "(gone)"; "" when no pid was recorded.
const char* last_pid_note(const SemaphoreView& sem);

// A set's origin in words: its type, else "mod_x.c, outside httpd's Mutex table"
// when the creating module is known, else "" (shown as unknown).
std::string set_origin_text(const SetView& s);

// used / limit in percent, or a negative number when the limit is unknown (<= 0).
double usage_percent(long used, long limit);

// `limit - used`, never below zero.
long free_of(long used, long limit);

// The wall clock a renderer should treat as "now": the request's if given.
int64_t effective_now(const StatusModel& model, int64_t requested_now);

// True when at least one mutex of this configuration creates SysV semaphore sets.
bool uses_sysv(const StatusModel& model);

// The distinct effective mechanisms of all mutexes, in order of first use:
// "fcntl, pthread". Used to say plainly what is used instead of SysV semaphores.
std::string mechanisms_in_use(const StatusModel& model);

}  // namespace semguard
