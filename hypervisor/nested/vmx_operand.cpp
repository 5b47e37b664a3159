/* Decoding a VMX instruction's memory operand (vmx_operand.h). Intel SDM
 * (revision 084), Vol. 3C "VM-Exit Instruction-Information Field"; Vol. 3A
 * "Segment Descriptors" (type field, expand-down, D/B), "Limit Checking",
 * "Canonical Addressing". */
#include "hypervisor/nested/vmx_operand.h"

namespace nested {

namespace {

/* Access rights (SDM "Guest Segment Registers" format). */
constexpr uint32_t TYPE_CODE = 1u << 3;
constexpr uint32_t TYPE_EXPAND_DOWN = 1u << 2;    /* data segments */
constexpr uint32_t TYPE_WRITABLE = 1u << 1;       /* data segments: writable; code: readable */
constexpr uint32_t DESCRIPTOR_DATA_OR_CODE = 1u << 4;
constexpr uint32_t DEFAULT_BIG = 1u << 14;
constexpr uint32_t UNUSABLE = 1u << 16;
constexpr unsigned SEGMENT_FS = 4, SEGMENT_GS = 5;

bool canonical(uint64_t address)
{
    uint64_t top = address >> 47;
    return top == 0 || top == 0x1FFFF;
}

OperandFault fault_for(unsigned segment)
{
    return segment == SEGMENT_SS ? OperandFault::stack_fault : OperandFault::general_protection;
}

/* Outside 64-bit mode: the segment allows the access and holds [offset, +size). */
bool segment_allows(const Segment& segment, uint64_t offset, unsigned size, bool write)
{
    uint32_t rights = segment.access_rights;
    if ((rights & UNUSABLE) || !(rights & DESCRIPTOR_DATA_OR_CODE))
        return false;
    bool code = rights & TYPE_CODE;
    if (write && (code || !(rights & TYPE_WRITABLE)))
        return false;
    if (!write && code && !(rights & TYPE_WRITABLE))
        return false; /* execute-only code */
    uint64_t last = offset + size - 1;
    if (!code && (rights & TYPE_EXPAND_DOWN)) {
        uint64_t upper = rights & DEFAULT_BIG ? 0xFFFFFFFFull : 0xFFFFull;
        return offset > segment.limit && last <= upper;
    }
    return last <= segment.limit;
}

} // namespace

MemoryOperand memory_operand(const AddressingContext& context, InstructionInformation information,
                             uint64_t displacement, unsigned size, bool write)
{
    unsigned address_size = information.address_size();
    unsigned segment = information.segment();
    if (address_size > 2 || segment > 5 ||
        (address_size == 2 && !context.long_mode_64bit))
        return {OperandFault::bad_information, 0};
    uint64_t mask = address_size == 0 ? 0xFFFFull : address_size == 1 ? 0xFFFFFFFFull : ~0ull;
    uint64_t offset = displacement;
    if (information.base_valid())
        offset += context.registers[information.base_register()];
    if (information.index_valid())
        offset += context.registers[information.index_register()] << information.scaling();
    offset &= mask;

    const Segment& descriptor = context.segments[segment];
    if (context.long_mode_64bit) {
        /* Only FS and GS keep a base in 64-bit mode; no limit checks. */
        uint64_t linear = offset + (segment == SEGMENT_FS || segment == SEGMENT_GS ? descriptor.base : 0);
        if (!canonical(linear) || !canonical(linear + size - 1))
            return {fault_for(segment), 0};
        return {OperandFault::none, linear};
    }
    if (!segment_allows(descriptor, offset, size, write))
        return {fault_for(segment), 0};
    return {OperandFault::none, (descriptor.base + offset) & 0xFFFFFFFFull};
}

} // namespace nested
