/* An owned, heap-allocated, immutable string (NUL-terminated for convenience).
 * Move-only; needs the kernel heap. */
#pragma once
#include "lib/string_view.h"

#include <new>
#include <utility>

class KString {
public:
    KString() = default;
    explicit KString(StringView text) : length_(text.length())
    {
        data_ = new char[length_ + 1];
        __builtin_memcpy(data_, text.data(), length_);
        data_[length_] = '\0';
    }
    /* The fallible form for paths a user program or a guest reaches: false (and
     * `out` unchanged) when the heap is exhausted. */
    [[nodiscard]] static bool try_copy(StringView text, KString& out)
    {
        char* data = new (std::nothrow) char[text.length() + 1];
        if (!data)
            return false;
        __builtin_memcpy(data, text.data(), text.length());
        data[text.length()] = '\0';
        out = KString();
        out.data_ = data;
        out.length_ = text.length();
        return true;
    }
    KString(KString&& other) : data_(std::exchange(other.data_, nullptr)), length_(std::exchange(other.length_, 0)) {}
    KString& operator=(KString&& other)
    {
        if (this != &other) {
            delete[] data_;
            data_ = std::exchange(other.data_, nullptr);
            length_ = std::exchange(other.length_, 0);
        }
        return *this;
    }
    KString(const KString&) = delete;
    KString& operator=(const KString&) = delete;
    ~KString() { delete[] data_; }

    StringView view() const { return data_ ? StringView(data_, length_) : StringView(); }
    const char* c_str() const { return data_ ? data_ : ""; }
    size_t length() const { return length_; }

private:
    char* data_ = nullptr;
    size_t length_ = 0;
};
