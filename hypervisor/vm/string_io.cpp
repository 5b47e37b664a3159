/* INS and OUTS for both backends; see string_io.h. */
#include "hypervisor/vm/string_io.h"

#include "hypervisor/vm/vm.h"
#include "time/clock.h"

namespace {

StringIoEnd refused(Vm& vm, const StringIo& io, uint64_t address, StringIoFault* fault)
{
    if (fault) {
        *fault = StringIoFault{address, io.in};
        return StringIoEnd::memory_fault;
    }
    if (io.in)
        vm.end(VmRunState::failed, -1, "INS into guest-virtual 0x%lx, which is not writable guest RAM", address);
    else
        vm.end(VmRunState::failed, -1, "OUTS from guest-virtual 0x%lx, which is not readable guest RAM", address);
    return StringIoEnd::vm_ended;
}

} // namespace

StringIoEnd run_string_io(Vm& vm, GuestRegisters& r, guest_paging::GuestVirtualMemory& memory, const StringIo& io,
                          StringIoFault* fault)
{
    uint64_t mask = io.address_mask;
    uint64_t& index = io.in ? r.rdi : r.rsi;
    uint64_t now = clock::nanoseconds();
    for (size_t done = 0; !io.rep || ((r.rcx & mask) && done < STRING_IO_BATCH); ++done) {
        uint32_t value = 0;
        uint64_t address = io.segment_base + (index & mask);
        if (io.in) {
            if (!memory.accessible(address, io.size, guest_paging::AccessKind::write))
                return refused(vm, io, address, fault);
            value = vm.platform().io_bus().read(io.port, io.size, now);
            ++vm.statistics().port_reads;
            if (!memory.write(address, &value, io.size))
                return refused(vm, io, address, fault);
        } else {
            if (!memory.read(address, &value, io.size))
                return refused(vm, io, address, fault);
            ++vm.statistics().port_writes;
            if (vm.write_port_powers_off(io.port, io.size, value, now))
                return StringIoEnd::vm_ended;
        }
        index = (index & ~mask) | ((io.backwards ? index - io.size : index + io.size) & mask);
        if (!io.rep)
            break;
        r.rcx = (r.rcx & ~mask) | ((r.rcx - 1) & mask);
    }
    return !io.rep || !(r.rcx & mask) ? StringIoEnd::complete : StringIoEnd::again;
}
