/* Address-space identifiers for guests (AMD64 APM Vol. 2, "TLB Control" and
 * "Address Space Identifiers (ASID)"): ASID 0 is the host's and VMRUN refuses it
 * for a guest, two live VMs must never share one, and the CPU offers only
 * CPUID Fn8000_000A EBX of them (16 in QEMU). Built on the VPID pool's bit set;
 * a recycled ASID may still tag the previous VM's translations, so a vCPU's
 * first VMRUN flushes its ASID (svm_vcpu.cpp, TlbControl). */
#pragma once
#include "hypervisor/vmx/vpid_pool.h"

namespace svm {

class AsidPool {
public:
    static constexpr uint16_t NONE = 0;

    /* A free ASID below `limit` (the CPU's count), or NONE when all are taken.
     * The search goes on from the last one handed out, wrapping to 1. */
    [[nodiscard]] uint16_t allocate(uint32_t limit)
    {
        for (int attempt = 0; attempt < 2; ++attempt) {
            uint16_t asid = bits_.allocate();
            if (asid != vmx::VpidPool::NONE && asid < limit)
                return asid;
            if (asid != vmx::VpidPool::NONE)
                bits_.free(asid);
            bits_.restart_at(vmx::VpidPool::FIRST);
        }
        return NONE;
    }
    void free(uint16_t asid) { bits_.free(asid); }
    size_t in_use_count() const { return bits_.in_use_count(); }

private:
    vmx::VpidPool bits_;
};

/* The one pool of this (single-CPU) host; callers keep interrupts off. */
AsidPool& asid_pool();

} // namespace svm
