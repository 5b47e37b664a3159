/* GDT and TSS set-up; see gdt.h. Descriptor bits follow the Intel SDM (revision
 * 084), Vol. 3A, "Segment Descriptors" and "TSS Descriptor in 64-bit Mode". */
#include "gdt.h"

#include "arch/x86_64/cpu.h"
#include "arch/x86_64/tss.h"

#include <stddef.h>

extern "C" char boot_stack_top[];

namespace gdt {

/* The one TSS. The syscall entry (syscall_entry.S) reads RSP0 from it by this
 * symbol name, so that SYSCALL, which switches no stack, lands on the same
 * kernel stack as an interrupt from ring 3. */
TaskStateSegment tss asm("task_state_segment");

namespace {

/* Bits of an 8-byte code or data segment descriptor. Base and limit are ignored
 * in 64-bit mode except for data segments in compatibility mode, so code and data
 * descriptors are flat: base 0, limit 4 GiB. */
enum DescriptorBit : uint64_t {
    TYPE_DATA_WRITABLE = 0x2ull << 40,
    TYPE_CODE_READABLE = 0xAull << 40,
    TYPE_TSS_AVAILABLE = 0x9ull << 40, /* a system descriptor: S stays clear */
    CODE_OR_DATA = 1ull << 44,         /* S */
    PRESENT = 1ull << 47,
    LONG_MODE = 1ull << 53,            /* L: 64-bit code */
    DEFAULT_32 = 1ull << 54,           /* D/B: 32-bit code, or a 4 GiB data limit */
    GRANULARITY_4K = 1ull << 55,
    FLAT_LIMIT = 0xFFFFull | (0xFull << 48),
};

constexpr uint64_t privilege(unsigned level) { return uint64_t(level & 3) << 45; }

constexpr uint64_t code64(unsigned level)
{
    return TYPE_CODE_READABLE | CODE_OR_DATA | PRESENT | LONG_MODE | GRANULARITY_4K | FLAT_LIMIT | privilege(level);
}

constexpr uint64_t code32(unsigned level)
{
    return TYPE_CODE_READABLE | CODE_OR_DATA | PRESENT | DEFAULT_32 | GRANULARITY_4K | FLAT_LIMIT | privilege(level);
}

constexpr uint64_t data(unsigned level)
{
    return TYPE_DATA_WRITABLE | CODE_OR_DATA | PRESENT | DEFAULT_32 | GRANULARITY_4K | FLAT_LIMIT | privilege(level);
}

static_assert(code64(0) == 0x00AF9A000000FFFF, "must equal the boot GDT's code descriptor");
static_assert(data(0) == 0x00CF92000000FFFF, "must equal the boot GDT's data descriptor");

/* The TSS descriptor is 16 bytes in 64-bit mode: base[63:32] in the second half. */
struct TssDescriptor {
    uint64_t low;
    uint64_t high;
};

TssDescriptor tss_descriptor(uint64_t base, uint32_t limit)
{
    uint64_t low = (limit & 0xFFFFull) | ((base & 0xFFFFFFull) << 16) | TYPE_TSS_AVAILABLE | PRESENT |
                   (uint64_t(limit >> 16 & 0xF) << 48) | ((base >> 24 & 0xFF) << 56);
    return {low, base >> 32};
}

constexpr size_t ENTRY_COUNT = 8;
constexpr size_t IST_STACK_SIZE = 8192;

alignas(16) uint64_t entries[ENTRY_COUNT];
alignas(16) uint8_t double_fault_stack[IST_STACK_SIZE];
alignas(16) uint8_t nmi_stack[IST_STACK_SIZE];

void fill_entries()
{
    entries[0] = 0;
    entries[KERNEL_CODE_SELECTOR >> 3] = code64(0);
    entries[KERNEL_DATA_SELECTOR >> 3] = data(0);
    entries[USER_CODE32_SELECTOR >> 3] = code32(3);
    entries[USER_DATA_SELECTOR >> 3] = data(3);
    entries[USER_CODE64_SELECTOR >> 3] = code64(3);
    TssDescriptor descriptor = tss_descriptor(uint64_t(&tss), sizeof(tss) - 1);
    entries[TSS_SELECTOR >> 3] = descriptor.low;
    entries[(TSS_SELECTOR >> 3) + 1] = descriptor.high;
}

static_assert((TSS_SELECTOR >> 3) + 2 == ENTRY_COUNT);

} // namespace

void init()
{
    tss = {};
    tss.io_map_base = sizeof(tss);
    tss.rsp[0] = uint64_t(boot_stack_top);
    /* A double fault may come from a kernel stack overflow, and an NMI may arrive
     * at any instruction: both get stacks of their own that are always valid. */
    tss.ist[IST_DOUBLE_FAULT - 1] = uint64_t(double_fault_stack + IST_STACK_SIZE);
    tss.ist[IST_NMI - 1] = uint64_t(nmi_stack + IST_STACK_SIZE);
    fill_entries();

    cpu::lgdt({limit(), base()});
    cpu::load_code_segment(KERNEL_CODE_SELECTOR);
    cpu::load_data_segments(KERNEL_DATA_SELECTOR);
    /* ltr marks the descriptor busy; loading it twice would fault (#GP). */
    cpu::ltr(TSS_SELECTOR);
}

void set_kernel_stack(uint64_t rsp0) { tss.rsp[0] = rsp0; }
uint64_t kernel_stack() { return tss.rsp[0]; }

uint64_t base() { return uint64_t(entries); }
uint16_t limit() { return sizeof(entries) - 1; }
uint16_t tss_selector() { return TSS_SELECTOR; }
uint64_t tss_base() { return uint64_t(&tss); }

uint64_t ist_stack_top(uint8_t ist) { return ist >= 1 && ist <= 7 ? tss.ist[ist - 1] : 0; }

} // namespace gdt
