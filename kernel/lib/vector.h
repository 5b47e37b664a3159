/* A growable array for the kernel (no standard library here). Elements are moved
 * when it grows, so pointers into it are invalidated by append and remove_at.
 * Needs the kernel heap. */
#pragma once
#include "debug/panic.h"

#include <new>
#include <stddef.h>
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

    void append(T value)
    {
        if (size_ == capacity_)
            grow(capacity_ ? capacity_ * 2 : 4);
        new (&data_[size_]) T(std::move(value));
        ++size_;
    }

    /* Grows to `count` elements (default-constructed) or shrinks to it. */
    void resize(size_t count)
    {
        while (size_ > count)
            data_[--size_].~T();
        if (count > capacity_)
            grow(count);
        while (size_ < count)
            new (&data_[size_++]) T();
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
    void grow(size_t capacity)
    {
        T* bigger = static_cast<T*>(::operator new(capacity * sizeof(T)));
        for (size_t i = 0; i < size_; ++i) {
            new (&bigger[i]) T(std::move(data_[i]));
            data_[i].~T();
        }
        ::operator delete(data_);
        data_ = bigger;
        capacity_ = capacity;
    }

    T* data_ = nullptr;
    size_t size_ = 0;
    size_t capacity_ = 0;
};
