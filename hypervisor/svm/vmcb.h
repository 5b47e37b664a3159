/* The virtual machine control block: one 4 KiB page per vCPU, a control area
 * (what to intercept, how to enter, why the guest exited) and a state-save area
 * (the guest's registers while the host runs). Follows the AMD64 APM Vol. 2
 * (revision 3.42), Appendix B "Layout of VMCB" (Table B-1 "VMCB Layout, Control
 * Area", Table B-2 "VMCB Layout, State Save Area"), and chapter "Secure Virtual
 * Machine", sections "Intercept Operation" and "Event Injection". Offsets are
 * pinned by static_assert against the APM's tables. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace svm {

/* Intercept vector 3 (control area offset 0x00C), "Instruction and Event
 * Intercepts". */
enum class Intercept3 : uint32_t {
    intr = 1u << 0,
    nmi = 1u << 1,
    smi = 1u << 2,
    init = 1u << 3,
    vintr = 1u << 4,
    rdpmc = 1u << 15,
    cpuid = 1u << 18,
    rsm = 1u << 19,
    iret = 1u << 20,
    invd = 1u << 22,
    pause = 1u << 23,
    hlt = 1u << 24,
    invlpga = 1u << 26,
    ioio_prot = 1u << 27,
    msr_prot = 1u << 28,
    task_switch = 1u << 29,
    ferr_freeze = 1u << 30,
    shutdown = 1u << 31,
};

/* Intercept vector 4 (offset 0x010). */
enum class Intercept4 : uint32_t {
    vmrun = 1u << 0,
    vmmcall = 1u << 1,
    vmload = 1u << 2,
    vmsave = 1u << 3,
    stgi = 1u << 4,
    clgi = 1u << 5,
    skinit = 1u << 6,
    rdtscp = 1u << 7,
    icebp = 1u << 8,
    wbinvd = 1u << 9,
    monitor = 1u << 10,
    mwait = 1u << 11,
    mwait_conditional = 1u << 12,
    xsetbv = 1u << 13,
};

template <typename Bit, typename... More> constexpr uint32_t intercept_mask(Bit first, More... more)
{
    return (uint32_t(first) | ... | uint32_t(more));
}

/* TLB_CONTROL (offset 0x05C), "TLB Control": what VMRUN flushes first. */
enum class TlbControl : uint8_t {
    nothing = 0,
    flush_all = 1,        /* every ASID's entries */
    flush_this_asid = 3,  /* needs CPUID 8000_000A EDX.FlushByAsid */
};

/* The interrupt-control word (offset 0x060), "Interrupt Control". */
namespace vintr_bits {
constexpr uint64_t V_TPR_MASK = 0xF; /* the guest's CR8 while V_INTR_MASKING is on */
constexpr uint64_t V_IRQ = 1ull << 8;
constexpr uint64_t V_IGN_TPR = 1ull << 20;
constexpr uint64_t V_INTR_MASKING = 1ull << 24;
constexpr unsigned V_INTR_PRIO_SHIFT = 16;
constexpr unsigned V_INTR_VECTOR_SHIFT = 32;
} // namespace vintr_bits

/* EVENTINJ (offset 0x0A8) and EXITINTINFO (0x088), "Event Injection": the same
 * format. */
namespace event_bits {
constexpr uint64_t VECTOR_MASK = 0xFF;
constexpr unsigned TYPE_SHIFT = 8;
constexpr uint64_t TYPE_MASK = 7ull << TYPE_SHIFT;
constexpr uint64_t ERROR_CODE_VALID = 1ull << 11;
constexpr uint64_t VALID = 1ull << 31;
constexpr unsigned ERROR_CODE_SHIFT = 32;
} // namespace event_bits
enum class EventType : uint8_t { external_interrupt = 0, nmi = 2, exception = 3, software_interrupt = 4 };

constexpr uint64_t event_injection(EventType type, uint8_t vector, bool has_error_code = false, uint32_t error_code = 0)
{
    return event_bits::VALID | (uint64_t(type) << event_bits::TYPE_SHIFT) | vector |
           (has_error_code ? event_bits::ERROR_CODE_VALID | (uint64_t(error_code) << event_bits::ERROR_CODE_SHIFT) : 0);
}

/* EXITINFO1 of an IOIO intercept, "IOIO Intercepts" (Figure "EXITINFO1 for IOIO
 * Intercept"). EXITINFO2 holds the RIP of the next instruction. */
namespace ioio_bits {
constexpr uint64_t TYPE_IN = 1ull << 0;
constexpr uint64_t STRING = 1ull << 2;
constexpr uint64_t REP = 1ull << 3;
constexpr unsigned SIZE_SHIFT = 4;    /* bits 6:4: SZ8, SZ16, SZ32, one hot */
constexpr unsigned ADDRESS_SHIFT = 7; /* bits 9:7: A16, A32, A64, one hot */
constexpr unsigned SEGMENT_SHIFT = 10; /* bits 12:10: the segment of OUTS (0 ES ... 5 GS) */
constexpr unsigned PORT_SHIFT = 16;
} // namespace ioio_bits

/* A segment register in the state-save area: its attributes pack descriptor
 * bits 47:40 (type, S, DPL, P) into bits 7:0 and bits 55:52 (AVL, L, D/B, G)
 * into bits 11:8 ("Segment State in the VMCB"). */
struct VmcbSegment {
    uint16_t selector;
    uint16_t attributes;
    uint32_t limit;
    uint64_t base;
};
static_assert(sizeof(VmcbSegment) == 16);

/* The "descriptor bits 40-55, limit nibble removed" format of the Multiboot
 * loader's SegmentState (0xC09B) in the VMCB's packing (0xC9B). */
constexpr uint16_t vmcb_attributes(uint16_t access_rights) { return (access_rights & 0xFF) | ((access_rights >> 4) & 0xF00); }

struct VmcbControl {
    uint32_t cr_intercepts;        /* 0x000: reads in bits 15:0, writes in 31:16 */
    uint32_t dr_intercepts;        /* 0x004 */
    uint32_t exception_intercepts; /* 0x008: one bit per vector */
    uint32_t intercepts3;          /* 0x00C: Intercept3 */
    uint32_t intercepts4;          /* 0x010: Intercept4 */
    uint32_t intercepts5;          /* 0x014 */
    uint8_t reserved_018[0x03C - 0x018];
    uint16_t pause_filter_threshold; /* 0x03C */
    uint16_t pause_filter_count;     /* 0x03E */
    uint64_t iopm_base;              /* 0x040: physical, 12 KiB */
    uint64_t msrpm_base;             /* 0x048: physical, 8 KiB */
    uint64_t tsc_offset;             /* 0x050 */
    uint32_t guest_asid;             /* 0x058 */
    uint8_t tlb_control;             /* 0x05C: TlbControl */
    uint8_t reserved_05d[3];
    uint64_t interrupt_control;      /* 0x060: vintr_bits */
    uint64_t interrupt_shadow;       /* 0x068: bit 0 the guest is in an interrupt shadow (STI, MOV SS) */
    uint64_t exit_code;              /* 0x070 */
    uint64_t exit_info1;             /* 0x078 */
    uint64_t exit_info2;             /* 0x080 */
    uint64_t exit_interrupt_info;    /* 0x088: EXITINTINFO */
    uint64_t nested_control;         /* 0x090: bit 0 NP_ENABLE */
    uint64_t avic_apic_bar;          /* 0x098 */
    uint64_t ghcb_address;           /* 0x0A0 */
    uint64_t event_injection;        /* 0x0A8: EVENTINJ */
    uint64_t nested_cr3;             /* 0x0B0: N_CR3 */
    uint64_t virtualization_control; /* 0x0B8: LBR virtualization, virtual VMSAVE/VMLOAD */
    uint32_t clean_bits;             /* 0x0C0 */
    uint32_t reserved_0c4;
    uint64_t next_rip;               /* 0x0C8: nRIP, with the NRIP-save feature only */
    uint8_t bytes_fetched;           /* 0x0D0: with decode assists only */
    uint8_t guest_instruction_bytes[15];
    uint8_t reserved_0e0[0x400 - 0x0E0];
};

struct VmcbStateSave {
    VmcbSegment es, cs, ss, ds, fs, gs; /* 0x400 ... */
    VmcbSegment gdtr, ldtr, idtr, tr;   /* 0x460 ... */
    uint8_t reserved_4a0[0x4CB - 0x4A0];
    uint8_t cpl;                        /* 0x4CB */
    uint32_t reserved_4cc;
    uint64_t efer;                      /* 0x4D0 */
    uint8_t reserved_4d8[0x548 - 0x4D8];
    uint64_t cr4;                       /* 0x548 */
    uint64_t cr3;                       /* 0x550 */
    uint64_t cr0;                       /* 0x558 */
    uint64_t dr7;                       /* 0x560 */
    uint64_t dr6;                       /* 0x568 */
    uint64_t rflags;                    /* 0x570 */
    uint64_t rip;                       /* 0x578 */
    uint8_t reserved_580[0x5D8 - 0x580];
    uint64_t rsp;                       /* 0x5D8 */
    uint64_t s_cet, ssp, isst_address;  /* 0x5E0 */
    uint64_t rax;                       /* 0x5F8 */
    uint64_t star;                      /* 0x600 */
    uint64_t lstar;                     /* 0x608 */
    uint64_t cstar;                     /* 0x610 */
    uint64_t sfmask;                    /* 0x618 */
    uint64_t kernel_gs_base;            /* 0x620 */
    uint64_t sysenter_cs;               /* 0x628 */
    uint64_t sysenter_esp;              /* 0x630 */
    uint64_t sysenter_eip;              /* 0x638 */
    uint64_t cr2;                       /* 0x640 */
    uint8_t reserved_648[0x668 - 0x648];
    uint64_t g_pat;                     /* 0x668 */
    uint64_t debug_control;             /* 0x670 */
    uint8_t reserved_678[0x1000 - 0x678];
};

struct Vmcb {
    VmcbControl control;
    VmcbStateSave save;
};

static_assert(offsetof(VmcbControl, intercepts3) == 0x00C);
static_assert(offsetof(VmcbControl, iopm_base) == 0x040);
static_assert(offsetof(VmcbControl, guest_asid) == 0x058);
static_assert(offsetof(VmcbControl, tlb_control) == 0x05C);
static_assert(offsetof(VmcbControl, interrupt_control) == 0x060);
static_assert(offsetof(VmcbControl, exit_code) == 0x070);
static_assert(offsetof(VmcbControl, exit_interrupt_info) == 0x088);
static_assert(offsetof(VmcbControl, nested_control) == 0x090);
static_assert(offsetof(VmcbControl, event_injection) == 0x0A8);
static_assert(offsetof(VmcbControl, nested_cr3) == 0x0B0);
static_assert(offsetof(VmcbControl, next_rip) == 0x0C8);
static_assert(sizeof(VmcbControl) == 0x400);
static_assert(offsetof(Vmcb, save.es) == 0x400);
static_assert(offsetof(Vmcb, save.tr) == 0x490);
static_assert(offsetof(Vmcb, save.cpl) == 0x4CB);
static_assert(offsetof(Vmcb, save.efer) == 0x4D0);
static_assert(offsetof(Vmcb, save.cr4) == 0x548);
static_assert(offsetof(Vmcb, save.rflags) == 0x570);
static_assert(offsetof(Vmcb, save.rip) == 0x578);
static_assert(offsetof(Vmcb, save.rsp) == 0x5D8);
static_assert(offsetof(Vmcb, save.rax) == 0x5F8);
static_assert(offsetof(Vmcb, save.kernel_gs_base) == 0x620);
static_assert(offsetof(Vmcb, save.cr2) == 0x640);
static_assert(offsetof(Vmcb, save.g_pat) == 0x668);
static_assert(sizeof(Vmcb) == 0x1000);

} // namespace svm
