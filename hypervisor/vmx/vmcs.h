/* The VMCS of one virtual CPU: its 4 KiB region and typed access to its fields.
 * Intel SDM (revision 084), Vol. 3C, chapter "Virtual Machine Control
 * Structures": "Format of the VMCS Region", "VMCS Data" and "Software Use of the
 * VMCS and Related Structures" (the launch state that decides VMLAUNCH vs.
 * VMRESUME). A VMREAD or VMWRITE of a field that exists cannot fail on a
 * current VMCS, so a failure is a broken invariant and panics naming the field. */
#pragma once
#include "hypervisor/vmx/vmx_constants.h"

#include <stdint.h>
#include <type_traits>

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
[[noreturn, gnu::cold]] void vmcs_read_failed(VmcsEncoding field);
[[noreturn, gnu::cold]] void vmcs_write_failed(VmcsEncoding field, uint64_t value);

/* The C++ type of a field's value: 16- and 32-bit fields read as uint16_t and
 * uint32_t, 64-bit and natural-width fields (64 bits on a 64-bit host) as uint64_t. */
template <VmcsFieldWidth Width>
using VmcsValue = std::conditional_t<Width == VmcsFieldWidth::bits16, uint16_t,
                                     std::conditional_t<Width == VmcsFieldWidth::bits32, uint32_t, uint64_t>>;

/* Field access on the current VMCS, typed by the field's width (TypedVmcsField,
 * generated from the encoding's bits 14:13). Inline, because the exit path is
 * made of them: VMREAD or VMWRITE and one branch on "below or equal" (CF=1 is
 * VMfailInvalid, ZF=1 VMfailValid; SDM "Conventions" in chapter "VMX
 * Instruction Reference"). VMREAD zero-extends a narrow field ("VMREAD"), so
 * the narrowing below loses nothing. */
template <VmcsFieldWidth Width> inline VmcsValue<Width> vmcs_read(TypedVmcsField<Width> field)
{
    uint64_t value;
    bool failed;
    asm volatile("vmread %2, %0" : "=r"(value), "=@ccbe"(failed) : "r"(uint64_t(field.encoding)));
    if (failed) [[unlikely]]
        vmcs_read_failed(field);
    return VmcsValue<Width>(value);
}

template <VmcsFieldWidth Width>
inline void vmcs_write(TypedVmcsField<Width> field, std::type_identity_t<VmcsValue<Width>> value)
{
    bool failed;
    asm volatile("vmwrite %2, %1" : "=@ccbe"(failed) : "r"(uint64_t(field.encoding)), "rm"(uint64_t(value)) : "memory");
    if (failed) [[unlikely]]
        vmcs_write_failed(field, value);
}

/* A value of a wider type than the field is a compile error, not a silent
 * truncation (VMWRITE itself would drop the high bits). An int is let through
 * for the literals (0, a selector constant) that fill most narrow fields. */
template <VmcsFieldWidth Width, typename T>
    requires(std::is_integral_v<T> && !std::is_same_v<T, int> && (sizeof(T) > sizeof(VmcsValue<Width>)))
void vmcs_write(TypedVmcsField<Width> field, T value) = delete;

/* Prints every field of the current VMCS by name (the SDM's Appendix B order),
 * for failed VM entries and panics. */
void dump_current_vmcs();

} // namespace vmx
