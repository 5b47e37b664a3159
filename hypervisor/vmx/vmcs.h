/* The VMCS of one virtual CPU: its 4 KiB region and typed access to its fields.
 * Intel SDM (revision 084), Vol. 3C, chapter "Virtual Machine Control
 * Structures": "Format of the VMCS Region", "VMCS Data" and "Software Use of the
 * VMCS and Related Structures" (the launch state that decides VMLAUNCH vs.
 * VMRESUME). A VMREAD or VMWRITE of a field that exists cannot fail on a
 * current VMCS, so a failure is a broken invariant and panics naming the field. */
#pragma once
#include "hypervisor/vmx/vmx_constants.h"

#include <stdint.h>

namespace vmx {

class Vmcs {
public:
    Vmcs() = default;
    ~Vmcs() { release(); }
    Vmcs(const Vmcs&) = delete;
    Vmcs& operator=(const Vmcs&) = delete;

    /* Takes a zeroed page for the region and writes the revision identifier. */
    [[nodiscard]] bool allocate(uint32_t revision_id);
    /* VMCLEAR (if it was ever loaded) and returns the page. */
    void release();

    /* VMCLEAR: the launch state becomes "clear", the CPU writes back its cache. */
    void clear();
    /* VMPTRLD unless this is already the current VMCS. */
    void make_current();
    bool is_current() const;

    bool launched() const { return launched_; }
    void set_launched(bool launched) { launched_ = launched; }
    uint64_t physical() const { return physical_; }

private:
    uint64_t physical_ = 0;
    bool launched_ = false;
    bool ever_loaded_ = false;
};

/* Panic naming the field and the VM-instruction error (the cold half of the
 * accessors below). */
[[noreturn, gnu::cold]] void vmcs_read_failed(VmcsField field);
[[noreturn, gnu::cold]] void vmcs_write_failed(VmcsField field, uint64_t value);

/* Field access on the current VMCS. Inline, because the exit path is made of
 * them: VMREAD or VMWRITE and one branch on "below or equal" (CF=1 is
 * VMfailInvalid, ZF=1 VMfailValid; SDM "Conventions" in chapter "VMX
 * Instruction Reference"). */
inline uint64_t vmcs_read(VmcsField field)
{
    uint64_t value;
    bool failed;
    asm volatile("vmread %2, %0" : "=r"(value), "=@ccbe"(failed) : "r"(uint64_t(field)));
    if (failed) [[unlikely]]
        vmcs_read_failed(field);
    return value;
}

inline void vmcs_write(VmcsField field, uint64_t value)
{
    bool failed;
    asm volatile("vmwrite %2, %1" : "=@ccbe"(failed) : "r"(uint64_t(field)), "rm"(value) : "memory");
    if (failed) [[unlikely]]
        vmcs_write_failed(field, value);
}

/* Prints every field of the current VMCS by name (the SDM's Appendix B order),
 * for failed VM entries and panics. */
void dump_current_vmcs();

} // namespace vmx
