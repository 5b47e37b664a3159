/* Whether a new VM is offered VMX (docs/nested.md, "Switching it on and off"),
 * set on the host's kernel command line and taken by each VM when it is made:
 *   vm_nested=on|off     offer VMX to VMs started from now on; the default is on
 *                        where the host can run nested guests (VMX with EPT and
 *                        unrestricted guest), off elsewhere (and always on SVM)
 *   vm_nested_shadow=on|off  VMCS shadowing for L1's VMREAD/VMWRITE where the
 *                        host has it (default on); off: every one exits
 *
 * One VM may ask otherwise when it starts (vm start --nested on|off,
 * VM_START_NESTED_ON/OFF): its own choice wins over vm_nested=. */
#pragma once
#include "hypervisor/cpu_model/cpu_model.h"
#include "lib/failure.h"

#include <stdint.h>

class CommandLine;

namespace nested {

/* What one vm_start asked for. */
enum class NestedRequest : uint8_t { host_default, on, off };

/* Reads vm_nested= and vm_nested_shadow= (unknown values are logged and ignored). */
void configure(const CommandLine& cmdline);
/* Whether a VM that asks `request` can have it: `on` fails (ENODEV, with the
 * reason) on SVM and on a VMX host without EPT or unrestricted guest. */
[[nodiscard]] Result<void> check_request(NestedRequest request, Failure& why);
/* Sets config.nested_vmx and the capability MSRs a new VM sees (a request
 * check_request() accepted). */
void offer_vmx(cpu_model::GuestCpuConfig& config, NestedRequest request = NestedRequest::host_default);
bool shadowing_wanted();

} // namespace nested
