/* Copies between the kernel and the calling process; see user_memory.h. */
#include "syscall/user_memory.h"

#include "abi/limits.h"
#include "lib/string.h"
#include "mm/direct_map.h"
#include "mm/kernel_heap.h"
#include "process/process.h"

namespace user_memory {

namespace {

using user_access::Access;
using user_access::CopyError;

uint8_t* user_page(void* context, uint64_t page_address, Access access)
{
    const auto* space = static_cast<const ArchMemory*>(context);
    MemoryResult<PageMapping> mapping = space->lookup(page_address);
    if (!mapping.ok() || !mapping.value().user || (access == Access::write && !mapping.value().writable))
        return nullptr;
    return phys_to_virt<uint8_t>(mapping.value().physical);
}

Result<void> as_result(CopyError error)
{
    if (error == CopyError::none)
        return {};
    return Error(user_access::copy_error_errno(error));
}

constexpr size_t FIRST_STORAGE = 1024;
constexpr size_t FIRST_OFFSETS = 16;

} // namespace

user_access::UserMemory of(const ArchMemory& space) { return {user_page, const_cast<ArchMemory*>(&space)}; }

const ArchMemory& current_space()
{
    Process* process = Process::current();
    KERNEL_ASSERT(process);
    return process->memory();
}

Result<void> check(uint64_t address, size_t size, Access access)
{
    if (!user_access::is_accessible(of(current_space()), address, size, access))
        return Error(EFAULT);
    return {};
}

Result<void> copy_from(void* destination, uint64_t source, size_t size)
{
    return as_result(user_access::copy_from_user(of(current_space()), destination, source, size));
}

Result<void> copy_to(uint64_t destination, const void* source, size_t size)
{
    return as_result(user_access::copy_to_user(of(current_space()), destination, source, size));
}

Path::~Path() { kfree(text_); }

Result<char*> Path::buffer()
{
    if (!text_) {
        text_ = static_cast<char*>(kmalloc(PATH_MAX));
        if (!text_)
            return Error(ENOMEM);
        text_[0] = '\0';
    }
    return text_;
}

Result<void> Path::copy_from(uint64_t user_address)
{
    TRY(buffer());
    size_t length = 0;
    return as_result(user_access::copy_string_from_user(of(current_space()), text_, PATH_MAX, user_address, &length));
}

StringArray::~StringArray()
{
    kfree(storage_);
    kfree(offsets_);
    kfree(pointers_);
}

bool StringArray::reserve(size_t bytes)
{
    if (used_ + bytes > capacity_) {
        size_t capacity = capacity_ ? capacity_ : FIRST_STORAGE;
        while (capacity < used_ + bytes)
            capacity *= 2;
        auto* storage = static_cast<char*>(kmalloc(capacity));
        if (!storage)
            return false;
        if (storage_)
            memcpy(storage, storage_, used_);
        kfree(storage_);
        storage_ = storage;
        capacity_ = capacity;
    }
    if (count_ == offset_capacity_) {
        size_t capacity = offset_capacity_ ? offset_capacity_ * 2 : FIRST_OFFSETS;
        auto* offsets = static_cast<size_t*>(kmalloc(capacity * sizeof(size_t)));
        if (!offsets)
            return false;
        if (offsets_)
            memcpy(offsets, offsets_, count_ * sizeof(size_t));
        kfree(offsets_);
        offsets_ = offsets;
        offset_capacity_ = capacity;
    }
    return true;
}

Result<void> StringArray::copy_from(uint64_t user_array, size_t& budget)
{
    if (user_array == 0)
        return {};
    user_access::UserMemory memory = of(current_space());
    for (uint64_t slot = user_array;; slot += sizeof(uint64_t)) {
        if (slot < user_array)
            return Error(EFAULT);
        uint64_t string = 0;
        TRY(as_result(user_access::copy_from_user(memory, &string, slot, sizeof(string))));
        if (string == 0)
            return {};
        /* First into what is left of the storage; when the string is longer,
         * grow to the whole budget once and copy again. */
        for (size_t room = used_ < capacity_ ? capacity_ - used_ : 0;;) {
            size_t capacity = room < budget ? room : budget;
            size_t length = 0;
            CopyError error = capacity ? user_access::copy_string_from_user(memory, storage_ + used_, capacity, string, &length)
                                       : CopyError::too_long;
            if (error == CopyError::fault)
                return Error(EFAULT);
            if (error == CopyError::too_long) {
                if (capacity == budget)
                    return Error(E2BIG);
                if (!reserve(budget))
                    return Error(ENOMEM);
                room = budget;
                continue;
            }
            if (!reserve(0))
                return Error(ENOMEM);
            offsets_[count_++] = used_;
            used_ += length + 1;
            budget -= length + 1;
            break;
        }
    }
}

Result<void> StringArray::copy_from_kernel(const char* const* strings, size_t count)
{
    for (size_t i = 0; i < count; ++i) {
        size_t length = strlen(strings[i]);
        if (!reserve(length + 1))
            return Error(ENOMEM);
        memcpy(storage_ + used_, strings[i], length + 1);
        offsets_[count_++] = used_;
        used_ += length + 1;
    }
    return {};
}

Result<user_stack::StringList> StringArray::list()
{
    kfree(pointers_);
    pointers_ = count_ ? static_cast<const char**>(kmalloc(count_ * sizeof(char*))) : nullptr;
    if (count_ && !pointers_)
        return Error(ENOMEM);
    for (size_t i = 0; i < count_; ++i)
        pointers_[i] = storage_ + offsets_[i];
    return user_stack::StringList{pointers_, count_};
}

} // namespace user_memory
