/* The GDB stub's monitor commands for the VMCS (kernel/debug/gdb_stub.h):
 * `monitor vmcs` prints every field of the current VMCS by name, `monitor vmread
 * ENCODING...` the named fields in a form tools/gdb/matryoshka_gdb.py parses.
 * The VMCS is readable only with VMREAD on the CPU where it is current, which is
 * the stopped CPU. Intel SDM (revision 084), Vol. 3C, "VMREAD-Read Field from
 * Virtual-Machine Control Structure" and "VMPTRST-Store Pointer to
 * Virtual-Machine Control Structure". */
#include "debug/gdb_stub.h"
#include "hypervisor/vmx/vmx_constants.h"
#include "hypervisor/vmx/vmx_instructions.h"
#include "hypervisor/vmx/vmx_support.h"

namespace {

constexpr uint64_t NO_CURRENT_VMCS = ~uint64_t(0);

/* VMREAD and VMPTRST raise #UD outside VMX operation, so that comes first. */
bool current_vmcs_readable(gdb::MonitorOutput& output)
{
    if (!in_vmx_operation()) {
        output.print("vmread: this CPU is not in VMX operation\n");
        return false;
    }
    if (vmx::vmptrst() == NO_CURRENT_VMCS) {
        output.print("vmread: no current VMCS\n");
        return false;
    }
    return true;
}

const char* failure_text(VmxStatus status)
{
    if (status == VmxStatus::fail_invalid)
        return "VMfailInvalid";
    VmxStatus error_status;
    uint64_t number = vmx::vmread(uint64_t(vmx::VmcsField::vm_instruction_error), &error_status);
    const char* text = error_status == VmxStatus::succeeded ? vmx::vm_instruction_error_text(vmx::VmInstructionError(number))
                                                            : nullptr;
    return text ? text : "VMfailValid";
}

void monitor_vmcs(const char*, gdb::MonitorOutput& output)
{
    if (!current_vmcs_readable(output))
        return;
    output.print("VMCS at 0x%lx (current on this CPU):\n", vmx::vmptrst());
    for (vmx::VmcsEncoding field : vmx::ALL_VMCS_FIELDS) {
        VmxStatus status;
        uint64_t value = vmx::vmread(uint64_t(field), &status);
        /* Fields this CPU does not support fail to read: leave them out. */
        if (status == VmxStatus::succeeded)
            output.print("  %-44s 0x%04x  0x%016lx\n", vmx::vmcs_field_name(field), unsigned(field), value);
    }
}

/* One line per encoding: "vmread 0x4402 = 0xa" or "vmread 0x4402 failed: why". */
void monitor_vmread(const char* arguments, gdb::MonitorOutput& output)
{
    if (!current_vmcs_readable(output))
        return;
    const char* cursor = arguments;
    const char* end = arguments + __builtin_strlen(arguments);
    while (cursor < end) {
        if (*cursor == ' ') {
            ++cursor;
            continue;
        }
        if (end - cursor > 2 && cursor[0] == '0' && (cursor[1] == 'x' || cursor[1] == 'X'))
            cursor += 2;
        uint64_t encoding;
        if (!gdb_packet::parse_hex(cursor, end, encoding) || encoding > 0xFFFFFFFF) {
            output.print("vmread: usage: monitor vmread ENCODING... (hex, as in hypervisor/vmx/vmx_data.py)\n");
            return;
        }
        VmxStatus status;
        uint64_t value = vmx::vmread(encoding, &status);
        if (status == VmxStatus::succeeded)
            output.print("vmread 0x%lx = 0x%lx\n", encoding, value);
        else
            output.print("vmread 0x%lx failed: %s\n", encoding, failure_text(status));
    }
}

struct VmcsMonitorCommands {
    VmcsMonitorCommands()
    {
        gdb_stub::register_monitor_command("vmcs", "every field of the current VMCS (VMREAD)", monitor_vmcs);
        gdb_stub::register_monitor_command("vmread", "ENCODING...: those fields of the current VMCS", monitor_vmread);
    }
} vmcs_monitor_commands;

} // namespace
