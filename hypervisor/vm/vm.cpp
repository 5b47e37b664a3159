/* A VM's state and end; see vm.h. */
#include "hypervisor/vm/vm.h"

#include "abi/vm.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/interrupt_guard.h"
#include "console/log.h"
#include "lib/string.h"
#include "debug/panic.h"
#include "hypervisor/guest_loader/bios_data_area.h"
#include "hypervisor/nested/nested_option.h"
#include "hypervisor/vcpu.h"
#include "lib/format.h"
#include "time/clock.h"

#include <new>
#include <stdarg.h>

const char* vm_state_name(VmRunState state)
{
    switch (state) {
    case VmRunState::starting: return "starting";
    case VmRunState::running: return "running";
    case VmRunState::stopped: return "stopped";
    case VmRunState::failed: return "failed";
    case VmRunState::halted: return "halted";
    }
    return "?";
}

namespace {

cpu_model::CpuidRegisters host_cpuid(uint32_t leaf, uint32_t subleaf)
{
    cpu::CpuidResult r = cpu::cpuid(leaf, subleaf);
    return {r.eax, r.ebx, r.ecx, r.edx};
}

/* The SVM backend does not emulate the local APIC yet: its guests' CPUID does
 * not show one (FIXME: the APIC's MMIO on nested page faults). VMX is offered
 * as hypervisor/nested decides. */
cpu_model::GuestCpuConfig guest_cpu_config(nested::NestedRequest nested)
{
    /* Both backends emulate the local APIC (its MMIO on EPT violations or
     * nested page faults). */
    cpu_model::GuestCpuConfig config{.local_apic = true};
    nested::offer_vmx(config, nested);
    return config;
}

} // namespace

uint32_t vm_abi_state(VmRunState state)
{
    switch (state) {
    case VmRunState::stopped: return VM_STOPPED;
    case VmRunState::halted: return VM_HALTED;
    case VmRunState::starting:
    case VmRunState::running: return VM_RUNNING;
    case VmRunState::failed: break;
    }
    return VM_FAILED;
}

Vm::Vm(int id, uint64_t memory_bytes, nested::NestedRequest nested)
    : id_(id), memory_bytes_(memory_bytes), cpu_(guest_cpu_config(nested), host_cpuid)
{
}

Vm::~Vm()
{
    if (platform_)
        platform_->~VirtualPlatform();
}

void Vm::create_platform()
{
    const uint8_t* vga = memory_.host_pointer(devices::VgaTextDevice::TEXT_BUFFER_GUEST_PHYS,
                                              devices::VgaTextDevice::TEXT_WINDOW_BYTES);
    platform_ = new (platform_storage_) VirtualPlatform(*this, vga);
    /* No BIOS runs, so the loader leaves its data area as one would (the rest of
     * RAM, 0xA0000-0xFFFFF included, stays zero: no ACPI or MP tables). */
    uint8_t bios_data[guest_loader::BIOS_DATA_AREA_SIZE];
    guest_loader::build_bios_data_area(bios_data);
    KERNEL_ASSERT(memory_.write(guest_loader::BIOS_DATA_AREA_ADDRESS, bios_data, sizeof(bios_data)));
}

size_t Vm::screen_text(char (&out)[SCREEN_TEXT_LENGTH])
{
    if (screen_kept_) {
        memcpy(out, last_screen_, last_screen_length_);
        return last_screen_length_;
    }
    size_t length = 0;
    for (int row = 0; row < devices::VgaTextDevice::ROWS; ++row) {
        /* row_text writes up to COLUMNS characters and a NUL, which the '\n' replaces. */
        if (platform_)
            length += platform_->vga().row_text(row, out + length, devices::VgaTextDevice::COLUMNS + 1);
        out[length++] = '\n';
    }
    return length;
}

void Vm::keep_last_screen()
{
    InterruptGuard guard;
    last_screen_length_ = screen_text(last_screen_);
    screen_kept_ = true;
}

void Vm::end(VmRunState state, int exit_status, const char* format, ...)
{
    if (ended())
        return;
    va_list args;
    va_start(args, format);
    vformat_string(stop_reason_, sizeof(stop_reason_), format, args);
    va_end(args);
    exit_status_ = exit_status;
    stopped_ns = clock::nanoseconds();
    state_ = state;
    if (platform_)
        platform_->flush_output();
    log(LogCategory::vmx, "vm%d %s: %s", id_, vm_state_name(state), stop_reason_);
}

bool Vm::write_port_powers_off(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns)
{
    constexpr uint16_t DEBUG_EXIT_PORT = 0xF4;
    constexpr uint16_t BOCHS_SHUTDOWN_PORT = 0x8900;
    if (port == DEBUG_EXIT_PORT) {
        end(VmRunState::stopped, int(value), "guest powered off through port 0x%x with status %u", port, value);
        return true;
    }
    if (port == BOCHS_SHUTDOWN_PORT && value == 'S') {
        end(VmRunState::stopped, 0, "guest powered off through the shutdown port 0x%x", port);
        return true;
    }
    platform().io_bus().write(port, size, value, now_ns);
    if (const char* reason = platform().take_power_off_request()) {
        end(VmRunState::stopped, 0, "%s", reason);
        return true;
    }
    return false;
}
