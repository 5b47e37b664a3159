/* A non-owning view of characters: a pointer and a length, not NUL-terminated.
 * Path components are views into the caller's path. Pure logic. */
#pragma once
#include <stddef.h>

class StringView {
public:
    constexpr StringView() = default;
    constexpr StringView(const char* data, size_t length) : data_(data), length_(length) {}
    StringView(const char* text) : data_(text), length_(text ? __builtin_strlen(text) : 0) {}

    const char* data() const { return data_; }
    size_t length() const { return length_; }
    bool empty() const { return length_ == 0; }
    char operator[](size_t index) const { return data_[index]; }

    bool operator==(StringView other) const
    {
        return length_ == other.length_ && (length_ == 0 || __builtin_memcmp(data_, other.data_, length_) == 0);
    }
    bool starts_with(StringView prefix) const
    {
        return prefix.length_ <= length_ && StringView(data_, prefix.length_) == prefix;
    }
    StringView substring(size_t start, size_t count) const { return StringView(data_ + start, count); }
    StringView substring(size_t start) const { return StringView(data_ + start, length_ - start); }

    /* Copies into `buffer` of `size` bytes with a NUL; false (and nothing written
     * past the buffer) when it does not fit. */
    bool copy_to(char* buffer, size_t size) const
    {
        if (length_ + 1 > size)
            return false;
        __builtin_memcpy(buffer, data_, length_);
        buffer[length_] = '\0';
        return true;
    }

private:
    const char* data_ = "";
    size_t length_ = 0;
};
