/* A growable array for the kernel (no standard library here). Elements are moved
 * when it grows, so pointers into it are invalidated by append and remove_at.
 * Needs the kernel heap. */
#pragma once
#include "debug/panic.h"

#include <new>
#include <stddef.h>
#include <stdint.h>
#include <utility>

template <typename T> class Vector {
public:
    Vector() = default;
    Vector(Vector&& other)
        : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)),
          capacity_(std::exchange(other.capacity_, 0))
    {
    }
    Vector(const Vector&) = delete;
    Vector& operator=(const Vector&) = delete;
    Vector& operator=(Vector&&) = delete;
    ~Vector()
    {
        clear();
        ::operator delete(data_);
    }

    size_t size() const { return size_; }
    bool empty() const { return size_ == 0; }
    T& operator[](size_t index)
    {
        if (index >= size_)
            panic("Vector index %zu out of range (size %zu)", index, size_);
        return data_[index];
    }
    const T& operator[](size_t index) const { return const_cast<Vector*>(this)->operator[](index); }
    T* begin() { return data_; }
    T* end() { return data_ + size_; }
    const T* begin() const { return data_; }
    const T* end() const { return data_ + size_; }

    /* Panics when the heap is exhausted: only for the kernel's own data, never on a
     * path a user program or a guest reaches (they use try_append). */
    void append(T value)
    {
        if (!try_append(std::move(value)))
            panic("Vector: out of memory growing past %zu elements", size_);
    }
    /* false (and the vector unchanged, `value` dropped) when the heap cannot grow it. */
    [[nodiscard]] bool try_append(T value)
    {
        if (size_ == capacity_ && !try_grow(capacity_ ? capacity_ * 2 : 4))
            return false;
        new (&data_[size_]) T(std::move(value));
        ++size_;
        return true;
    }

    /* Grows to `count` elements (default-constructed) or shrinks to it. */
    void resize(size_t count)
    {
        if (!try_resize(count))
            panic("Vector: out of memory resizing to %zu elements", count);
    }
    /* false (and the vector unchanged) when growing needs memory the heap lacks. */
    [[nodiscard]] bool try_resize(size_t count)
    {
        if (count > capacity_ && !try_grow(count))
            return false;
        while (size_ > count)
            data_[--size_].~T();
        while (size_ < count)
            new (&data_[size_++]) T();
        return true;
    }

    /* Removes one element, keeping the order of the rest. */
    void remove_at(size_t index)
    {
        if (index >= size_)
            panic("Vector::remove_at(%zu) out of range (size %zu)", index, size_);
        for (size_t i = index; i + 1 < size_; ++i)
            data_[i] = std::move(data_[i + 1]);
        data_[--size_].~T();
    }

    void clear()
    {
        while (size_)
            data_[--size_].~T();
    }

private:
    bool try_grow(size_t capacity)
    {
        if (capacity > SIZE_MAX / sizeof(T))
            return false;
        T* bigger = static_cast<T*>(::operator new(capacity * sizeof(T), std::nothrow));
        if (!bigger)
            return false;
        for (size_t i = 0; i < size_; ++i) {
            new (&bigger[i]) T(std::move(data_[i]));
            data_[i].~T();
        }
        ::operator delete(data_);
        data_ = bigger;
        capacity_ = capacity;
        return true;
    }

    T* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
};
