/* Events L0 delivers into L2 on L1's behalf, as the CPU would for L1's own
 * hardware: an exception met while another event was being delivered (the
 * IDT-vectoring information of the exit) combined into the double fault or
 * triple fault of the SDM's table; a MOV to CR0/CR4 that changed only bits L0
 * owns completed with the read shadow L2 must see. Intel SDM (revision 084),
 * Vol. 3A, "Interrupt 8—Double Fault Exception (#DF)" (Table "Conditions for
 * Generating a Double Fault"); Vol. 3C, "Information for VM Exits That Occur
 * During Event Delivery", "Guest/Host Masks and Read Shadows for CR0 and CR4".
 * Pure logic, unit-tested in tests/unit/l2_events_test.cpp. */
#pragma once
#include <stdint.h>

namespace nested {

/* The fields of an interruption-information word (VM-entry interruption
 * information, VM-exit interruption information, IDT-vectoring information). */
namespace interruption {
constexpr uint32_t VALID = 1u << 31;
constexpr uint32_t ERROR_CODE = 1u << 11;
constexpr uint32_t TYPE_SHIFT = 8;
constexpr uint32_t TYPE_EXTERNAL_INTERRUPT = 0, TYPE_NMI = 2, TYPE_HARDWARE_EXCEPTION = 3;
constexpr uint32_t type(uint32_t information) { return (information >> TYPE_SHIFT) & 7; }
constexpr uint32_t vector(uint32_t information) { return information & 0xFF; }
} // namespace interruption

constexpr uint32_t VECTOR_DOUBLE_FAULT = 8;

/* The SDM's three classes of exceptions for the double-fault rule. */
enum class FaultClass : uint8_t { benign, contributory, page_fault };
/* The class of an event (a word as above, valid): contributory are #DE, #TS,
 * #NP, #SS, #GP and #CP; #PF and #VE are page faults; every other exception,
 * NMIs and interrupts (external or software) are benign. */
FaultClass fault_class(uint32_t information);

/* What the CPU makes of `second` (a hardware exception) raised while it
 * delivered `first` (IDT-vectoring information; not valid: nothing was being
 * delivered). */
struct CombinedEvent {
    enum class Kind : uint8_t {
        second,       /* handled serially: `second` is delivered */
        double_fault, /* #DF with error code 0 is delivered instead */
        triple_fault, /* a fault while delivering #DF: shutdown (a triple-fault exit) */
    };
    Kind kind = Kind::second;
    uint32_t information = 0; /* second or double_fault: the event to deliver (valid, with its type) */
};
CombinedEvent combine_events(uint32_t first, uint32_t second);

/* A MOV to CR0 or CR4 in L2 that L1 lets through (no bit L1 owns changes) but
 * that exits because L0 owns a bit it changes: the value L2 runs with (the bits
 * L0 must keep set, `forced_on`, added) and VMCS02's read shadow: L1's shadow for
 * the bits L1 owns (`mask12`), the written value for all the others (what L2
 * reads back, as if nobody owned them). */
struct ControlRegisterWrite {
    uint64_t guest = 0;
    uint64_t shadow = 0;
};
ControlRegisterWrite l2_control_register_write(uint64_t value, uint64_t shadow12, uint64_t mask12,
                                               uint64_t forced_on);

} // namespace nested
