/* Intrusive reference counting: an object derived from RefCounted<T> is deleted
 * when the last RefPtr to it goes away. Inodes and open files live this way: an
 * unlinked file stays readable while a descriptor refers to it. The count is
 * atomic: threads are preempted at any instruction, and a plain ++/-- is a
 * load, an add and a store once the compiler chooses so. */
#pragma once
#include "debug/panic.h"

#include <stdint.h>
#include <utility>

/* GCC 12 cannot see that an object deleted by one unref() is not reached by the
 * next (another reference kept it alive until then) and warns at every inlined
 * pair of RefPtr destructors; the warning is about this function's body only. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuse-after-free"
template <typename T> class RefCounted {
public:
    void ref() { __atomic_add_fetch(&count_, 1, __ATOMIC_RELAXED); }
    void unref()
    {
        /* Acquire-release: whoever deletes sees every write made through the
         * other references before they were dropped. */
        uint32_t before = __atomic_fetch_sub(&count_, 1, __ATOMIC_ACQ_REL);
        if (before == 0)
            panic("reference count underflow");
        if (before == 1)
            delete static_cast<T*>(this);
    }
    uint32_t ref_count() const { return __atomic_load_n(&count_, __ATOMIC_RELAXED); }

protected:
    RefCounted() = default;
    ~RefCounted() = default;

private:
    uint32_t count_ = 0;
};
#pragma GCC diagnostic pop

template <typename T> class RefPtr {
public:
    RefPtr() = default;
    RefPtr(decltype(nullptr)) {}
    /* Takes a reference to `object` (which may be freshly allocated with count 0). */
    RefPtr(T* object) : object_(object)
    {
        if (object_)
            object_->ref();
    }
    RefPtr(const RefPtr& other) : RefPtr(other.object_) {}
    RefPtr(RefPtr&& other) : object_(std::exchange(other.object_, nullptr)) {}
    template <typename U> RefPtr(const RefPtr<U>& other) : RefPtr(other.get()) {}
    RefPtr& operator=(const RefPtr& other)
    {
        RefPtr copy(other);
        std::swap(object_, copy.object_);
        return *this;
    }
    RefPtr& operator=(RefPtr&& other)
    {
        RefPtr moved(std::move(other));
        std::swap(object_, moved.object_);
        return *this;
    }
    ~RefPtr()
    {
        if (object_)
            object_->unref();
    }

    T* get() const { return object_; }
    T* operator->() const { return object_; }
    T& operator*() const { return *object_; }
    explicit operator bool() const { return object_ != nullptr; }
    bool operator==(const RefPtr& other) const { return object_ == other.object_; }

private:
    T* object_ = nullptr;
};
