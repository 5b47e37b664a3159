/* User memory access for system calls; see user_access.h. */
#include "syscall/user_access.h"

#include "abi/errno.h"

namespace user_access {

namespace {

uint64_t page_of(uint64_t address) { return address & ~(PAGE_SIZE - 1); }

/* Checks every page of a range that is_user_range() accepted. */
bool pages_accessible(const UserMemory& memory, uint64_t address, size_t size, Access access)
{
    if (size == 0)
        return true;
    uint64_t last_page = page_of(address + size - 1);
    for (uint64_t page = page_of(address);; page += PAGE_SIZE) {
        if (!memory.page(memory.context, page, access))
            return false;
        if (page == last_page)
            return true;
    }
}

/* Copies a range already checked, page by page through the kernel's pointers:
 * into the user's pages from `from_kernel`, or out of them to `to_kernel`. */
void copy_checked(const UserMemory& memory, uint64_t user, const uint8_t* from_kernel, uint8_t* to_kernel,
                  size_t size)
{
    Access access = from_kernel ? Access::write : Access::read;
    for (size_t done = 0; done < size;) {
        uint64_t offset = (user + done) & (PAGE_SIZE - 1);
        size_t chunk = PAGE_SIZE - offset < size - done ? PAGE_SIZE - offset : size - done;
        uint8_t* page = memory.page(memory.context, page_of(user + done), access);
        if (from_kernel)
            __builtin_memcpy(page + offset, from_kernel + done, chunk);
        else
            __builtin_memcpy(to_kernel + done, page + offset, chunk);
        done += chunk;
    }
}

} // namespace

int copy_error_errno(CopyError error)
{
    switch (error) {
    case CopyError::none: return 0;
    case CopyError::fault: return EFAULT;
    case CopyError::too_long: return ENAMETOOLONG;
    }
    return EFAULT;
}

bool is_user_range(uint64_t address, size_t size)
{
    if (size == 0)
        return true;
    return address < USER_SPACE_END && size <= USER_SPACE_END - address;
}

bool is_accessible(const UserMemory& memory, uint64_t address, size_t size, Access access)
{
    return is_user_range(address, size) && pages_accessible(memory, address, size, access);
}

CopyError copy_from_user(const UserMemory& memory, void* destination, uint64_t source, size_t size)
{
    if (!is_accessible(memory, source, size, Access::read))
        return CopyError::fault;
    copy_checked(memory, source, nullptr, static_cast<uint8_t*>(destination), size);
    return CopyError::none;
}

CopyError copy_to_user(const UserMemory& memory, uint64_t destination, const void* source, size_t size)
{
    if (!is_accessible(memory, destination, size, Access::write))
        return CopyError::fault;
    copy_checked(memory, destination, static_cast<const uint8_t*>(source), nullptr, size);
    return CopyError::none;
}

CopyError copy_string_from_user(const UserMemory& memory, char* destination, size_t capacity, uint64_t source,
                                size_t* length)
{
    /* One page at a time: the string may end before an unmapped page, which must
     * then not be touched. */
    for (size_t copied = 0; copied < capacity;) {
        uint64_t address = source + copied;
        if (address < source || address >= USER_SPACE_END)
            return CopyError::fault;
        const uint8_t* page = memory.page(memory.context, page_of(address), Access::read);
        if (!page)
            return CopyError::fault;
        for (uint64_t offset = address & (PAGE_SIZE - 1); offset < PAGE_SIZE && copied < capacity; ++offset) {
            char c = char(page[offset]);
            destination[copied++] = c;
            if (c == '\0') {
                *length = copied - 1;
                return CopyError::none;
            }
        }
    }
    return CopyError::too_long;
}

} // namespace user_access
