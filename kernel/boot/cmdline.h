/* The kernel command line: space-separated words, each a flag ("quiet") or a
 * key=value option ("test=boot,memory"). Values cannot contain spaces.
 * Pure logic: also compiled into the build machine's unit tests. */
#pragma once
#include <stddef.h>

class CommandLine {
public:
    explicit CommandLine(const char* text) : text_(text ? text : "") {}

    const char* text() const { return text_; }
    /* True when the word `flag` (or `flag=...`) is present. */
    bool has(const char* flag) const;
    /* Copies the value of `key=value` into `value` (NUL-terminated, truncated to
     * `size`) and returns true; false when the key is absent. The last occurrence
     * wins, as later words override earlier ones. */
    bool value(const char* key, char* value, size_t size) const;
    /* True when the comma-separated list under `key` contains `item`. */
    bool list_contains(const char* key, const char* item) const;

private:
    const char* text_;
};
