/* VMCS shadowing for L1: while L1 has a current VMCS12, VMCS01 links a shadow VMCS
 * (VMCS link pointer, secondary control "VMCS shadowing", VMREAD and VMWRITE
 * bitmaps) that holds the VMCS12's fields, so L1's VMREAD and VMWRITE of them
 * cause no VM exit. Intel SDM (revision 084), Vol. 3C, "VMCS Shadowing" in chapter
 * "Virtual Machine Control Structures", "VMREAD Bitmap Address", "VMWRITE Bitmap
 * Address" and the shadow-VMCS indicator of "Format of the VMCS Region".
 *
 * The VMCS12 cache (vmcs12.h) stays the host's copy: pull() brings L1's shadow
 * writes into it before the host reads it (at the start of every emulated VMX
 * instruction, before part 2 builds VMCS02), push() gives the shadow the cache's
 * values after the host changed them (VMPTRLD, a VMfailValid error number, exit
 * information from part 2). VMREAD of every field the shadow holds is let
 * through, VMWRITE only of the fields a hypervisor writes for most entries
 * (FieldGroup::written_per_entry, so that the pull reads back 16 fields, not
 * ~100); VMWRITE of the others (read-only fields too: IA32_VMX_MISC bit 29 is
 * not offered to L1), fields the shadow does not hold and unsupported
 * encodings keep exiting, to the emulation. vm_nested_shadow=off, a host without
 * the control or a page the host cannot spare: every VMREAD/VMWRITE exits. */
#pragma once
#include "hypervisor/nested/vmcs12.h"

namespace vmx {
class VmxVcpu;
}

namespace nested {

/* Whether this host can shadow and vm_nested_shadow= allows it. */
bool shadowing_available();
/* L1's VMREAD/VMWRITE writes in the shadow into the cache (when linked). */
void pull(vmx::VmxVcpu& vcpu, NestedState& state);
/* After an emulated instruction: the shadow gets the cache's values and is
 * linked while L1 has a current VMCS12, unlinked otherwise. VMCS01 must be current. */
void push(vmx::VmxVcpu& vcpu, NestedState& state);
/* Gives back the shadow's pages (the vCPU's end). */
void release_shadow(NestedState& state);

} // namespace nested
