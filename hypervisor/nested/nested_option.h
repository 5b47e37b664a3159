/* Whether a new VM is offered VMX (docs/nested.md, "Switching it on and off"),
 * set on the host's kernel command line and taken by each VM when it is made:
 *   vm_nested=on|off     offer VMX to VMs started from now on; the default is on
 *                        where the host can run nested guests (VMX with EPT and
 *                        unrestricted guest), off elsewhere (and always on SVM)
 *   vm_nested_shadow=on|off  VMCS shadowing for L1's VMREAD/VMWRITE where the
 *                        host has it (default on); off: every one exits */
#pragma once
#include "hypervisor/cpu_model/cpu_model.h"

class CommandLine;

namespace nested {

/* Reads vm_nested= and vm_nested_shadow= (unknown values are logged and ignored). */
void configure(const CommandLine& cmdline);
/* Sets config.nested_vmx and the capability MSRs a new VM sees. */
void offer_vmx(cpu_model::GuestCpuConfig& config);
bool shadowing_wanted();

} // namespace nested
