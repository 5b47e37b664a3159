/* Deliberate memory corruption on request (crash=WORD on the command line), to
 * prove that the heap's and the PageManager's guards catch it and name the culprit
 * (tests/system/test_memory_guards.py). */
#pragma once

#define MEMORY_CRASH_WORDS "heap_overrun, double_free, page_double_free, page_free_unallocatable"

/* Commits the error `what` names, which panics; returns when `what` is none of
 * MEMORY_CRASH_WORDS. */
void crash_memory_on_request(const char* what);
