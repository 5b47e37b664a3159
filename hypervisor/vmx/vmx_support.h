/* Entering VMX operation, step by step as the Intel SDM (revision 084), Vol. 3C,
 * chapter "Introduction to Virtual Machine Extensions" describes it in "Discovering
 * Support for VMX", "Enabling and Entering VMX Operation" and "Restrictions on VMX
 * Operation", and as the lecture slides list it: check CPUID, check (and where
 * unlocked set) IA32_FEATURE_CONTROL, apply the CR0/CR4 fixed bits, set CR4.VMXE,
 * write the revision id into a VMXON region, execute VMXON. */
#pragma once
#include <stdint.h>

#include "hypervisor/vmx/vmx_controls.h"

enum class VmxSupportError {
    none,
    no_vmx,                /* CPUID.1:ECX.VMX[bit 5] = 0 */
    disabled_by_firmware,  /* IA32_FEATURE_CONTROL locked without VMX outside SMX */
    vmxon_failed,          /* VMXON returned VMfail */
    not_done,              /* the exercise's stub (hypervisor/exercise.h) */
};
const char* vmx_support_error_text(VmxSupportError error);

/* IA32_VMX_BASIC and every capability MSR, read once (after the first call). */
vmx::VmxBasic read_vmx_basic();
const vmx::VmxCapabilities& host_vmx_capabilities();


/* True when the CPU can do VMX at all (CPUID only: no MSR is touched). */
bool cpu_has_vmx();

/* Enables VMX on this CPU and executes VMXON, once; later calls return the first
 * result. Needs a 4 KiB page below 4 GiB for the VMXON region, taken from the
 * image's .bss so that this works before and without the PageManager. */
[[nodiscard]] VmxSupportError enter_vmx_operation();
bool in_vmx_operation();
/* The VMXON region's physical address (tests check that VMCLEAR refuses it). */
uint64_t vmxon_region_physical();
/* VMXOFF and CR4.VMXE clear; enter_vmx_operation() may be called again. */
void leave_vmx_operation();
