/* The number of indices a sampled walk of the semaphore table covers before
 * list_sets chooses a way (listing_choice.h). A C header because the LD_PRELOAD
 * listing counter (tests/support/semstat_count.c, C, preloaded into the stock
 * apache2) counts a file read that begins within this many SEM_STAT calls of a
 * walk as part of that walk's listing: one fact, one place. */
#pragma once

#define SEMGUARD_WALK_SAMPLE_INDICES 128
