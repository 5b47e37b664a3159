/* Guest RAM for the loader's unit tests: a std::vector behind the loader's
 * GuestMemoryWriter, pre-filled with 0xCC so that zeroing shows, counting the
 * writes so a test can see that a refused image wrote nothing. */
#pragma once
#include "hypervisor/guest_loader/multiboot_loader.h"

#include <cstring>
#include <vector>

class VectorRam : public guest_loader::GuestMemoryWriter {
public:
    explicit VectorRam(uint64_t size) : bytes(size, 0xCC) {}
    bool write(uint64_t guest_physical, const void* data, size_t length) override
    {
        if (guest_physical + length > bytes.size())
            return false;
        std::memcpy(bytes.data() + guest_physical, data, length);
        ++writes;
        return true;
    }
    bool zero(uint64_t guest_physical, size_t length) override
    {
        if (guest_physical + length > bytes.size())
            return false;
        std::memset(bytes.data() + guest_physical, 0, length);
        return true;
    }
    std::vector<uint8_t> bytes;
    int writes = 0;
};
