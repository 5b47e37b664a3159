/* INS and OUTS for both backends; see string_io.h. */
#include "hypervisor/vm/string_io.h"

#include "hypervisor/vm/platform.h"
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

constexpr size_t OUTSB_RUN = 64;
constexpr uint64_t PAGE_SIZE = 4096;

/* OUTSB forward to a console port: COM1, the way a serial driver fills its
 * transmit FIFO (`rep outsb` of up to 16 bytes after THR empty), or the debug
 * port 0xE9 (our kernel's console_write, a line at a time): the bytes up to the page's
 * end, at most OUTSB_RUN, are read from guest memory at once - one page walk
 * instead of one per byte - then written to the port one by one, RSI and RCX
 * moving with each as the element loop moves them. Within one page the read
 * succeeds or fails as a whole: on failure nothing is written and the element
 * loop takes over, which names the fault at the same element. Only these two
 * devices: their writes never change guest memory, so reading ahead sees what
 * the CPU would read element by element. `done` counts the elements written; returns
 * true when the instruction ended here (complete, or the VM ended). */
bool write_bytes_to_console(Vm& vm, GuestRegisters& r, guest_paging::GuestVirtualMemory& memory, const StringIo& io,
                         size_t& done, StringIoEnd& end)
{
    uint64_t mask = io.address_mask;
    uint64_t now = clock::nanoseconds();
    for (;;) {
        uint64_t left = io.rep ? r.rcx & mask : 1;
        if (left == 0 || done >= STRING_IO_BATCH)
            return false;
        uint64_t offset = r.rsi & mask;
        uint64_t address = io.segment_base + offset;
        uint64_t count = left < OUTSB_RUN ? left : OUTSB_RUN;
        if (count > STRING_IO_BATCH - done)
            count = STRING_IO_BATCH - done;
        if (count > PAGE_SIZE - (address & (PAGE_SIZE - 1)))
            count = PAGE_SIZE - (address & (PAGE_SIZE - 1));
        if (count > mask - offset) /* the index wraps at the address size */
            count = mask - offset + 1;
        uint8_t bytes[OUTSB_RUN];
        if (!memory.read(address, bytes, count))
            return false;
        for (uint64_t i = 0; i < count; ++i) {
            ++vm.statistics().port_writes;
            if (vm.write_port_powers_off(io.port, 1, bytes[i], now)) {
                end = StringIoEnd::vm_ended;
                return true;
            }
            r.rsi = (r.rsi & ~mask) | ((r.rsi + 1) & mask);
            if (io.rep)
                r.rcx = (r.rcx & ~mask) | ((r.rcx - 1) & mask);
        }
        done += count;
        if (!io.rep) {
            end = StringIoEnd::complete;
            return true;
        }
    }
}

} // namespace

StringIoEnd run_string_io(Vm& vm, GuestRegisters& r, guest_paging::GuestVirtualMemory& memory, const StringIo& io,
                          StringIoFault* fault)
{
    uint64_t mask = io.address_mask;
    uint64_t& index = io.in ? r.rdi : r.rsi;
    uint64_t now = clock::nanoseconds();
    size_t done = 0;
    StringIoEnd end = StringIoEnd::complete;
    bool console_port = io.port == devices::DebugPort::PORT || vm.platform().com1().handles(io.port);
    if (!io.in && io.size == 1 && !io.backwards && console_port && write_bytes_to_console(vm, r, memory, io, done, end))
        return end;
    for (; !io.rep || ((r.rcx & mask) && done < STRING_IO_BATCH); ++done) {
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
