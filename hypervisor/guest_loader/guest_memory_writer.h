/* How a loader puts bytes into a guest's physical memory without knowing how that
 * memory is backed: the kernel implements it over EPT-backed (or NPT-backed) host
 * pages, the build machine's unit tests over a std::vector. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace guest_loader {

class GuestMemoryWriter {
public:
    /* Both return false when the range is not guest RAM. */
    [[nodiscard]] virtual bool write(uint64_t guest_physical, const void* bytes, size_t length) = 0;
    [[nodiscard]] virtual bool zero(uint64_t guest_physical, size_t length) = 0;

protected:
    ~GuestMemoryWriter() = default;
};

} // namespace guest_loader
