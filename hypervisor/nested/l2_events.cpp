/* Events L0 delivers into L2 for L1; see l2_events.h. */
#include "hypervisor/nested/l2_events.h"

namespace nested {

FaultClass fault_class(uint32_t information)
{
    if (interruption::type(information) != interruption::TYPE_HARDWARE_EXCEPTION)
        return FaultClass::benign;
    switch (interruption::vector(information)) {
    case 0:  /* #DE */
    case 10: /* #TS */
    case 11: /* #NP */
    case 12: /* #SS */
    case 13: /* #GP */
    case 21: /* #CP */
        return FaultClass::contributory;
    case 14: /* #PF */
    case 20: /* #VE */
        return FaultClass::page_fault;
    default: return FaultClass::benign;
    }
}

CombinedEvent combine_events(uint32_t first, uint32_t second)
{
    CombinedEvent serial{CombinedEvent::Kind::second, second | interruption::VALID};
    if (!(first & interruption::VALID))
        return serial;
    FaultClass second_class = fault_class(second | interruption::VALID);
    bool first_is_double_fault = interruption::type(first) == interruption::TYPE_HARDWARE_EXCEPTION &&
                                 interruption::vector(first) == VECTOR_DOUBLE_FAULT;
    /* "If another contributory or page fault exception occurs while attempting
     * to call the double-fault handler, the processor enters shutdown mode." */
    if (first_is_double_fault)
        return second_class == FaultClass::benign ? serial : CombinedEvent{CombinedEvent::Kind::triple_fault, 0};
    /* Table "Conditions for Generating a Double Fault": contributory then
     * contributory, page fault then contributory or page fault. */
    bool double_fault = false;
    switch (fault_class(first)) {
    case FaultClass::benign: break;
    case FaultClass::contributory: double_fault = second_class == FaultClass::contributory; break;
    case FaultClass::page_fault: double_fault = second_class != FaultClass::benign; break;
    }
    if (!double_fault)
        return serial;
    uint32_t information = interruption::VALID | interruption::ERROR_CODE |
                           (interruption::TYPE_HARDWARE_EXCEPTION << interruption::TYPE_SHIFT) | VECTOR_DOUBLE_FAULT;
    return {CombinedEvent::Kind::double_fault, information};
}

ControlRegisterWrite l2_control_register_write(uint64_t value, uint64_t shadow12, uint64_t mask12,
                                               uint64_t forced_on)
{
    /* No exit to L1 means the bits L1 owns equal its shadow already; MOV to CR
     * loads the whole value ("MOV—Move to/from Control Registers"). */
    return {value | forced_on, (shadow12 & mask12) | (value & ~mask12)};
}

} // namespace nested
