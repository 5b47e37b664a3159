/* VMCS region and field access; see vmcs.h. */
#include "hypervisor/vmx/vmcs.h"

#include "console/log.h"
#include "debug/panic.h"
#include "hypervisor/vmx/vmx_instructions.h"
#include "mm/direct_map.h"
#include "mm/page_manager.h"

namespace vmx {

namespace {

const char* instruction_error_text()
{
    VmxStatus status;
    uint64_t number = vmx::vmread(uint64_t(VmcsField::vm_instruction_error), &status);
    if (status != VmxStatus::succeeded)
        return "no current VMCS";
    const char* text = vm_instruction_error_text(VmInstructionError(number));
    return text ? text : "unknown VM-instruction error";
}

} // namespace

bool Vmcs::allocate(uint32_t revision_id)
{
    /* A user program's VM: an ordinary claim (hypervisor/vmx/vmx_vcpu.cpp). */
    MemoryResult<uint64_t> page = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
    if (!page.ok())
        return false;
    physical_ = page.value();
    /* SDM "Format of the VMCS Region": bits 30:0 of the first word are the
     * revision identifier, bit 31 is the shadow-VMCS indicator (0). */
    *phys_to_virt<uint32_t>(physical_) = revision_id & 0x7FFFFFFF;
    launched_ = false;
    ever_loaded_ = false;
    return true;
}

void Vmcs::release()
{
    if (!physical_)
        return;
    if (ever_loaded_)
        clear();
    PageManager::instance().free_page(physical_);
    physical_ = 0;
}

void Vmcs::clear()
{
    if (vmx::vmclear(physical_) != VmxStatus::succeeded)
        panic("VMCLEAR of the VMCS at 0x%lx failed: %s", physical_, instruction_error_text());
    launched_ = false;
}

/* Without VMPTRST: it exits when this kernel is itself a guest (vmx_instructions.h). */
bool Vmcs::is_current() const { return vmx::tracked_current_vmcs == physical_; }

void Vmcs::make_current()
{
    if (is_current())
        return;
    if (vmx::vmptrld(physical_) != VmxStatus::succeeded)
        panic("VMPTRLD of the VMCS at 0x%lx failed: %s", physical_, instruction_error_text());
    ever_loaded_ = true;
}

void vmcs_read_failed(VmcsEncoding field)
{
    panic("VMREAD of %s (0x%x) failed: %s", vmcs_field_name(field), unsigned(field), instruction_error_text());
}

void vmcs_write_failed(VmcsEncoding field, uint64_t value)
{
    panic("VMWRITE of %s (0x%x) = 0x%lx failed: %s", vmcs_field_name(field), unsigned(field), value,
          instruction_error_text());
}

void dump_current_vmcs()
{
    log(LogCategory::vmx, "VMCS at 0x%lx:", vmx::vmptrst());
    for (VmcsEncoding field : ALL_VMCS_FIELDS) {
        VmxStatus status;
        uint64_t value = vmx::vmread(uint64_t(field), &status);
        /* Fields this CPU does not support fail to read: leave them out. */
        if (status == VmxStatus::succeeded)
            log(LogCategory::vmx, "  %-44s %016lx", vmcs_field_name(field), value);
    }
}

} // namespace vmx
