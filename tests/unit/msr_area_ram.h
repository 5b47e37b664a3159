/* Guest RAM holding a VMCS's MSR areas (Intel SDM, "VM-Entry Controls for MSRs" and
 * "VM-Exit Controls for MSRs", rev. 084, Vol. 3C), for the unit tests of the nested MSR-area
 * walks: an entry is 16 bytes, the MSR's index (bits 31:0), a reserved dword that
 * must be zero (bits 63:32) and the MSR's value (bits 127:64). */
#pragma once
#include "fake_guest_ram.h"

#include <cstring>
#include <stdint.h>

class MsrAreaRam : public FakeGuestRam {
public:
    explicit MsrAreaRam(size_t size) : FakeGuestRam(size) {}

    /* Writes one entry at guest-physical `address`; a test of the reserved-bits
     * refusal passes a `reserved` other than zero. */
    void put_entry(uint64_t address, uint32_t msr, uint32_t reserved, uint64_t value)
    {
        std::memcpy(&bytes[address], &msr, 4);
        std::memcpy(&bytes[address + 4], &reserved, 4);
        std::memcpy(&bytes[address + 8], &value, 8);
    }
    void put_entry(uint64_t address, uint32_t msr, uint64_t value) { put_entry(address, msr, 0, value); }
    /* The eight bytes at `address`: an entry's value when `address` is the
     * entry's plus 8 (what a store area received). */
    uint64_t value_at(uint64_t address)
    {
        uint64_t value;
        std::memcpy(&value, &bytes[address], 8);
        return value;
    }
};
