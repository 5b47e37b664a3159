/* The per-VM switch for nested VMX and VMCS shadowing (nested_option.h). */
#include "hypervisor/nested/nested_option.h"

#include "boot/cmdline.h"
#include "console/log.h"
#include "hypervisor/nested/capabilities.h"
#include "hypervisor/vcpu.h"
#include "hypervisor/vmx/vmx_support.h"
#include "abi/errno.h"
#include "lib/string.h"

namespace nested {

namespace {

enum class Choice : uint8_t { automatic, on, off };

/* Written once at boot, before any VM starts; read when a VM is made. */
Choice nested_choice = Choice::automatic;
bool shadowing = true;

bool parse_on_off(const CommandLine& cmdline, const char* key, bool& out)
{
    char text[8] = "";
    if (!cmdline.value(key, text, sizeof(text)))
        return false;
    if (strcmp(text, "on") == 0 || strcmp(text, "off") == 0) {
        out = strcmp(text, "on") == 0;
        return true;
    }
    log(LogCategory::vmx, "%s=%s: expected on or off; the default stays", key, text);
    return false;
}

} // namespace

void configure(const CommandLine& cmdline)
{
    bool on = false;
    if (parse_on_off(cmdline, "vm_nested", on))
        nested_choice = on ? Choice::on : Choice::off;
    parse_on_off(cmdline, "vm_nested_shadow", shadowing);
}

Result<void> check_request(NestedRequest request, Failure& why)
{
    if (request != NestedRequest::on)
        return {};
    if (virtualization_backend() != VirtualizationBackend::vmx)
        return why.set(ENODEV, "--nested on: this host runs AMD SVM, and only VMX is offered to guests");
    if (!host_supports_nested(host_vmx_capabilities()))
        return why.set(ENODEV, "--nested on: this CPU's VMX lacks EPT or unrestricted guest, which nested guests need");
    return {};
}

void offer_vmx(cpu_model::GuestCpuConfig& config, NestedRequest request)
{
    config.nested_vmx = false;
    Choice choice = request == NestedRequest::on    ? Choice::on
                    : request == NestedRequest::off ? Choice::off
                                                    : nested_choice;
    if (choice == Choice::off || virtualization_backend() != VirtualizationBackend::vmx)
        return;
    const vmx::VmxCapabilities& host = host_vmx_capabilities();
    if (!host_supports_nested(host)) {
        if (choice == Choice::on)
            log(LogCategory::vmx, "vm_nested=on: this CPU lacks EPT or unrestricted guest; VMs get no VMX");
        return;
    }
    config.nested_vmx = true;
    config.vmx_capabilities = offered_capabilities(host);
}

bool shadowing_wanted() { return shadowing; }

} // namespace nested
