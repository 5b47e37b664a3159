/* The generated hypervisor/vmx/vmx_constants.h: encodings checked against numbers
 * observed on Bochs (shared/reference/vmx-in-bochs.md) and the SDM, and the name
 * lookups the generator writes. */
#include "hypervisor/vmx/vmcs.h"
#include "hypervisor/vmx/vmx_constants.h"
#include "unit_test.h"

#include <set>
#include <type_traits>

using namespace vmx;

UNIT_TEST(vmx_constants_field_encodings_match_the_sdm)
{
    CHECK_EQ(uint32_t(VmcsField::vm_instruction_error), 0x4400u); /* read after VMfailValid on Bochs */
    CHECK_EQ(uint32_t(VmcsField::exit_reason), 0x4402u);
    CHECK_EQ(uint32_t(VmcsField::guest_rip), 0x681Eu);
    CHECK_EQ(uint32_t(VmcsField::ept_pointer), 0x201Au);
    CHECK_EQ(uint32_t(VmcsField::vmcs_link_pointer), 0x2800u);
    CHECK_EQ(uint32_t(VmcsField::host_tr_selector), 0x0C0Cu);
    CHECK_EQ(uint32_t(VmcsField::preemption_timer_value), 0x482Eu);
    CHECK_EQ(uint32_t(VmcsField::secondary_processor_controls), 0x401Eu);
}

UNIT_TEST(vmx_constants_width_and_kind_come_from_the_encoding)
{
    CHECK(vmcs_field_width(VmcsField::guest_rip) == VmcsFieldWidth::natural);
    CHECK(vmcs_field_kind(VmcsField::guest_rip) == VmcsFieldKind::guest);
    CHECK(vmcs_field_width(VmcsField::ept_pointer) == VmcsFieldWidth::bits64);
    CHECK(vmcs_field_kind(VmcsField::ept_pointer) == VmcsFieldKind::control);
    CHECK(vmcs_field_width(VmcsField::exit_reason) == VmcsFieldWidth::bits32);
    CHECK(vmcs_field_kind(VmcsField::exit_reason) == VmcsFieldKind::read_only);
    CHECK(vmcs_field_width(VmcsField::host_cs_selector) == VmcsFieldWidth::bits16);
    CHECK(vmcs_field_kind(VmcsField::host_cs_selector) == VmcsFieldKind::host);
}

/* Whether vmcs_write(Field, Value) compiles: the typed accessors of vmcs.h. */
template <typename Field, typename Value>
constexpr bool vmcs_writable = requires(Field field, Value value) { vmcs_write(field, value); };
template <typename Field> using vmcs_read_type = decltype(vmcs_read(std::declval<Field>()));

/* The width is derived from the encoding (bits 14:13), not copied from the data
 * file's column: each field's type says it, and so does what a read returns. */
UNIT_TEST(vmx_constants_typed_fields_take_their_width_from_the_encoding)
{
    static_assert(std::is_same_v<decltype(VmcsField::vpid), const VmcsField16>);               /* 0x0000 */
    static_assert(std::is_same_v<decltype(VmcsField::guest_cs_selector), const VmcsField16>);  /* 0x0802 */
    static_assert(std::is_same_v<decltype(VmcsField::ept_pointer), const VmcsField64>);        /* 0x201A */
    static_assert(std::is_same_v<decltype(VmcsField::exit_reason), const VmcsField32>);        /* 0x4402 */
    static_assert(std::is_same_v<decltype(VmcsField::guest_rip), const VmcsFieldNatural>);     /* 0x681E */
    static_assert(std::is_same_v<vmcs_read_type<VmcsField16>, uint16_t>);
    static_assert(std::is_same_v<vmcs_read_type<VmcsField32>, uint32_t>);
    static_assert(std::is_same_v<vmcs_read_type<VmcsField64>, uint64_t>);
    static_assert(std::is_same_v<vmcs_read_type<VmcsFieldNatural>, uint64_t>);
    /* A wider value than the field does not compile; as wide or narrower does. */
    static_assert(!vmcs_writable<VmcsField16, uint64_t>);
    static_assert(!vmcs_writable<VmcsField16, uint32_t>);
    static_assert(!vmcs_writable<VmcsField32, uint64_t>);
    static_assert(vmcs_writable<VmcsField16, uint16_t>);
    static_assert(vmcs_writable<VmcsField32, uint16_t>);
    static_assert(vmcs_writable<VmcsField64, uint64_t>);
    static_assert(vmcs_writable<VmcsFieldNatural, uint64_t>);
    /* Every listed field: its type's width is its encoding's. */
    for (VmcsEncoding field : ALL_VMCS_FIELDS)
        CHECK_EQ(unsigned(vmcs_field_width(field)), (uint32_t(field) >> 13) & 3);
    CHECK(vmcs_field_width(VmcsEncoding::guest_cs_selector) == VmcsFieldWidth::bits16);
    VmcsEncoding plain = VmcsField::guest_rip; /* a typed field converts to its encoding for tables */
    CHECK_EQ(uint32_t(plain), 0x681Eu);
}

UNIT_TEST(vmx_constants_every_field_is_listed_once_with_a_name)
{
    std::set<uint32_t> seen;
    for (VmcsEncoding field : ALL_VMCS_FIELDS) {
        CHECK(vmcs_field_name(field) != nullptr);
        CHECK(seen.insert(uint32_t(field)).second);
    }
    CHECK(VMCS_FIELD_COUNT > 150u);
}

UNIT_TEST(vmx_constants_names_fields_exit_reasons_and_errors)
{
    CHECK_EQ(std::string(vmcs_field_name(VmcsField::guest_cs_access_rights)), std::string("Guest CS access rights"));
    CHECK_EQ(std::string(exit_reason_name(ExitReason::ept_violation)), std::string("EPT violation"));
    CHECK_EQ(std::string(exit_reason_name(ExitReason(52))), std::string("VMX-preemption timer expired"));
    CHECK_EQ(std::string(vm_instruction_error_text(VmInstructionError(8))),
             std::string("VM entry with invalid host-state field(s)"));
    CHECK_EQ(std::string(vm_instruction_error_text(VmInstructionError(5))),
             std::string("VMRESUME with non-launched VMCS"));
    CHECK_EQ(std::string(capability_msr_name(CapabilityMsr::true_procbased_ctls)),
             std::string("IA32_VMX_TRUE_PROCBASED_CTLS"));
    CHECK_EQ(uint32_t(CapabilityMsr::true_procbased_ctls), 0x48Eu);
    CHECK_EQ(std::string(control_bit_name(ControlWord::secondary_processor, 1)), std::string("enable EPT"));
}

UNIT_TEST(vmx_constants_unknown_values_have_no_name)
{
    CHECK(vmcs_field_name(VmcsEncoding(0x1234)) == nullptr);
    CHECK(exit_reason_name(ExitReason(35)) == nullptr);
    CHECK(vm_instruction_error_text(VmInstructionError(14)) == nullptr);
    CHECK(control_bit_name(ControlWord::pin_based, 1) == nullptr);
}

UNIT_TEST(vmx_constants_entry_failure_exit_reason_splits_into_bit_31_and_basic_reason)
{
    /* Bochs reports a VMCS link pointer that is not all ones as exit reason 0x80000021. */
    CHECK(is_entry_failure(0x80000021));
    CHECK(basic_exit_reason(0x80000021) == ExitReason::entry_failure_invalid_guest_state);
    CHECK(!is_entry_failure(18));
    CHECK(basic_exit_reason(18) == ExitReason::vmcall);
}

UNIT_TEST(vmx_constants_control_mask_combines_bits)
{
    CHECK_EQ(control_mask(SecondaryProcessorControl::ept, SecondaryProcessorControl::unrestricted_guest), 0x82u);
    CHECK_EQ(control_mask(PrimaryProcessorControl::secondary_controls), 0x80000000u);
    CHECK_EQ(control_mask(ExitControl::host_address_space_size), 0x200u);
    CHECK_EQ(control_mask(EntryControl::ia32e_mode_guest), 0x200u);
    CHECK_EQ(control_mask(PinBasedControl::preemption_timer), 0x40u);
}
