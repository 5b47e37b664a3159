/* Kernel command line parsing; see cmdline.h. */
#include "cmdline.h"

namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }

/* Calls visit(word, length) for every word; stops early when it returns true. */
template <typename Visit> bool for_each_word(const char* text, Visit visit)
{
    const char* p = text;
    while (*p) {
        while (is_space(*p))
            ++p;
        const char* start = p;
        while (*p && !is_space(*p))
            ++p;
        if (p > start && visit(start, size_t(p - start)))
            return true;
    }
    return false;
}

/* The length of the key part of a word (up to '=' or the end). */
size_t key_length(const char* word, size_t length)
{
    size_t i = 0;
    while (i < length && word[i] != '=')
        ++i;
    return i;
}

bool key_equals(const char* word, size_t length, const char* key)
{
    size_t k = key_length(word, length);
    size_t i = 0;
    for (; i < k && key[i]; ++i) {
        if (word[i] != key[i])
            return false;
    }
    return i == k && key[i] == '\0';
}

} // namespace

bool CommandLine::has(const char* flag) const
{
    return for_each_word(text_, [&](const char* word, size_t length) { return key_equals(word, length, flag); });
}

bool CommandLine::value(const char* key, char* value, size_t size) const
{
    bool found = false;
    for_each_word(text_, [&](const char* word, size_t length) {
        size_t k = key_length(word, length);
        if (k < length && key_equals(word, length, key)) {
            size_t n = 0;
            for (size_t i = k + 1; i < length && n + 1 < size; ++i)
                value[n++] = word[i];
            if (size)
                value[n] = '\0';
            found = true;
        }
        return false;
    });
    return found;
}

bool CommandLine::list_contains(const char* key, const char* item) const
{
    char list[256];
    if (!value(key, list, sizeof(list)))
        return false;
    const char* p = list;
    while (*p) {
        const char* start = p;
        while (*p && *p != ',')
            ++p;
        size_t i = 0;
        while (start + i < p && item[i] && start[i] == item[i])
            ++i;
        if (start + i == p && item[i] == '\0')
            return true;
        if (*p == ',')
            ++p;
    }
    return false;
}
