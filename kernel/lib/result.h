/* Recoverable errors inside the kernel: a function that can fail returns a
 * [[nodiscard]] Result<T>, holding either a T or an errno value (abi/errno.h).
 * Errors are carried up with TRY() and become -errno only at the syscall boundary
 * (syscall_return), in the manner of SerenityOS's ErrorOr. */
#pragma once
#include "abi/errno.h"
#include "debug/panic.h"

#include <new>
#include <stdint.h>
#include <utility>

/* An errno value (positive, e.g. ENOENT). */
class [[nodiscard]] Error {
public:
    constexpr explicit Error(int code) : code_(code) {}
    constexpr int code() const { return code_; }

private:
    int code_;
};

template <typename T> class [[nodiscard]] Result {
public:
    Result(const T& value) : has_value_(true) { new (&value_) T(value); }
    Result(T&& value) : has_value_(true) { new (&value_) T(std::move(value)); }
    Result(Error error) : has_value_(false), error_(error.code()) {}
    Result(Result&& other) : has_value_(other.has_value_), error_(other.error_)
    {
        if (has_value_)
            new (&value_) T(std::move(other.value_));
    }
    Result(const Result&) = delete;
    Result& operator=(const Result&) = delete;
    Result& operator=(Result&&) = delete;
    ~Result()
    {
        if (has_value_)
            value_.~T();
    }

    bool is_error() const { return !has_value_; }
    /* The errno value; only meaningful when is_error(). */
    int error() const { return has_value_ ? 0 : error_; }

    T& value()
    {
        if (!has_value_)
            panic("Result::value() on an error (errno %d)", error_);
        return value_;
    }
    const T& value() const { return const_cast<Result*>(this)->value(); }
    /* Moves the value out; used by TRY(). */
    T release_value() { return std::move(value()); }

private:
    bool has_value_;
    int error_ = 0;
    union {
        T value_;
    };
};

template <> class [[nodiscard]] Result<void> {
public:
    Result() = default;
    Result(Error error) : error_(error.code()) {}

    bool is_error() const { return error_ != 0; }
    int error() const { return error_; }
    void release_value() const {}

private:
    int error_ = 0;
};

/* Evaluates `expression` (a Result); on error returns the error from the calling
 * function, otherwise yields the value. A GNU statement expression. */
#define TRY(expression)                                                                                  \
    ({                                                                                                   \
        auto try_result_ = (expression);                                                                 \
        if (try_result_.is_error())                                                                      \
            return Error(try_result_.error());                                                           \
        try_result_.release_value();                                                                     \
    })

/* What a system call returns to user space: the value, or -errno. */
template <typename T> int64_t syscall_return(const Result<T>& result)
{
    return result.is_error() ? -int64_t(result.error()) : int64_t(result.value());
}
inline int64_t syscall_return(const Result<void>& result) { return -int64_t(result.error()); }

/* The symbolic name of an errno value ("ENOENT"), for log lines and test output. */
const char* errno_name(int code);
