/* hypervisor/nested/vm_exit12.cpp: a VM exit from L2 to L1 records its
 * information in VMCS12, saves L2's composed state by VMCS12's exit controls,
 * loads L1's state from the host-state area as the SDM's "Loading Host State"
 * says, and walks the MSR areas in L1's memory with the SDM's refusals. */
#include "hypervisor/nested/vm_exit12.h"
#include "arch/x86_64/control_registers.h"
#include "msr_area_ram.h"
#include "unit_test.h"

#include <map>
#include <vector>

using namespace nested;
using vmx::EntryControl;
using vmx::ExitControl;
using E = vmx::VmcsEncoding;

namespace {

class L1Ram final : public MsrAreaRam {
public:
    L1Ram() : MsrAreaRam(0x10000) {}
};

/* L0's model of a level's MSRs: refuses writes to MSR 0x1234 (a #GP). */
class ModelMsrs final : public MsrSink, public MsrSource {
public:
    std::map<uint32_t, uint64_t> values;
    bool write(uint32_t msr, uint64_t value) override
    {
        if (msr == 0x1234)
            return false;
        values[msr] = value;
        return true;
    }
    bool read(uint32_t msr, uint64_t& value) override
    {
        auto found = values.find(msr);
        if (found == values.end())
            return false;
        value = found->second;
        return true;
    }
};

uint64_t value_of(const FieldValue* fields, size_t count, E field)
{
    for (size_t i = 0; i < count; ++i) {
        if (fields[i].field == field)
            return fields[i].value;
    }
    unit::record_failure("field not in L1's state");
    return ~0ull;
}

} // namespace

UNIT_TEST(vm_exit12_records_the_exit_and_consumes_the_injected_event)
{
    Vmcs12 vmcs12;
    vmcs12.set(E::entry_interruption_information, 0x80000B0E);
    ExitRecord record;
    record.reason = 48;
    record.qualification = 0x181;
    record.guest_linear_address = 0x7000;
    record.guest_physical_address = 0x5008;
    record.idt_vectoring_information = 0x80000020;
    record.instruction_length = 3;
    record.instruction_information = 0x55;
    record_exit(vmcs12, record);
    CHECK_EQ(vmcs12.get(E::exit_reason), 48ull);
    CHECK_EQ(vmcs12.get(E::exit_qualification), 0x181ull);
    CHECK_EQ(vmcs12.get(E::guest_linear_address), 0x7000ull);
    CHECK_EQ(vmcs12.get(E::guest_physical_address), 0x5008ull);
    CHECK_EQ(vmcs12.get(E::idt_vectoring_information), 0x80000020ull);
    CHECK_EQ(vmcs12.get(E::exit_instruction_length), 3ull);
    CHECK_EQ(vmcs12.get(E::exit_instruction_information), 0x55ull);
    CHECK_EQ(vmcs12.get(E::entry_interruption_information), 0xB0Eull); /* valid bit cleared */
    record.reason = 33 | EXIT_REASON_ENTRY_FAILURE;
    record_exit(vmcs12, record);
    CHECK_EQ(vmcs12.get(E::exit_reason), 0x80000021ull);
}

UNIT_TEST(vm_exit12_saves_efer_pat_and_timer_only_when_vmcs12_asks)
{
    Vmcs12 vmcs12;
    vmcs12.set(E::guest_efer, 1);
    vmcs12.set(E::guest_pat, 2);
    vmcs12.set(E::preemption_timer_value, 3);
    vmcs12.set(E::entry_controls, uint32_t(EntryControl::ia32e_mode_guest) | uint32_t(EntryControl::load_efer));
    L2ComposedState state{CR0_PE, CR4_PAE, EFER_SCE, 0x06, 99};
    save_composed_state(vmcs12, state);
    CHECK_EQ(vmcs12.get(E::guest_cr0), uint64_t(CR0_PE));
    CHECK_EQ(vmcs12.get(E::guest_cr4), uint64_t(CR4_PAE));
    CHECK_EQ(vmcs12.get(E::guest_efer), 1ull);
    CHECK_EQ(vmcs12.get(E::guest_pat), 2ull);
    CHECK_EQ(vmcs12.get(E::preemption_timer_value), 3ull);
    /* IA-32e mode guest becomes EFER.LMA (clear here); load EFER stays. */
    CHECK_EQ(vmcs12.get(E::entry_controls), uint64_t(EntryControl::load_efer));
    vmcs12.set(E::exit_controls, uint32_t(ExitControl::save_efer) | uint32_t(ExitControl::save_pat) |
                                     uint32_t(ExitControl::save_preemption_timer));
    state.efer = EFER_LMA | EFER_LME;
    save_composed_state(vmcs12, state);
    CHECK_EQ(vmcs12.get(E::guest_efer), uint64_t(EFER_LMA | EFER_LME));
    CHECK_EQ(vmcs12.get(E::guest_pat), 6ull);
    CHECK_EQ(vmcs12.get(E::preemption_timer_value), 99ull);
    CHECK(vmcs12.get(E::entry_controls) & uint32_t(EntryControl::ia32e_mode_guest));
}

UNIT_TEST(vm_exit12_loads_l1_from_the_host_state_area)
{
    Vmcs12 vmcs12;
    vmcs12.set(E::exit_controls, uint32_t(ExitControl::host_address_space_size) | uint32_t(ExitControl::load_efer));
    vmcs12.set(E::host_cr0, CR0_PE | CR0_PG | CR0_NE | CR0_CD); /* CD is kept from before */
    vmcs12.set(E::host_cr3, 0x9000);
    vmcs12.set(E::host_cr4, CR4_PAE | CR4_VMXE);
    vmcs12.set(E::host_efer, EFER_LMA | EFER_LME | EFER_NXE);
    vmcs12.set(E::host_cs_selector, 0x08);
    vmcs12.set(E::host_ss_selector, 0);
    vmcs12.set(E::host_ds_selector, 0x10);
    vmcs12.set(E::host_fs_base, 0xFFFF800000002000);
    vmcs12.set(E::host_tr_selector, 0x28);
    vmcs12.set(E::host_tr_base, 0xFFFF800000003000);
    vmcs12.set(E::host_gdtr_base, 0xFFFF800000004000);
    vmcs12.set(E::host_rip, 0xFFFFFFFF80123456);
    vmcs12.set(E::host_rsp, 0xFFFF800000010000);
    vmcs12.set(E::host_sysenter_cs, 0x8);
    FieldValue fields[L1_STATE_FIELD_COUNT];
    bool ia32e = false;
    L1StateBefore before{CR0_ET | CR0_PE, EFER_SCE, 0x0007040600070406};
    size_t n = l1_state_after_exit(vmcs12, before, fields, ia32e);
    CHECK_EQ(n, L1_STATE_FIELD_COUNT);
    CHECK(ia32e);
    CHECK_EQ(value_of(fields, n, E::guest_cr0), CR0_PE | CR0_PG | CR0_NE | CR0_ET);
    CHECK_EQ(value_of(fields, n, E::guest_cr3), 0x9000ull);
    CHECK_EQ(value_of(fields, n, E::guest_efer), EFER_LMA | EFER_LME | EFER_NXE);
    CHECK_EQ(value_of(fields, n, E::guest_pat), 0x0007040600070406ull); /* no load PAT: kept */
    CHECK_EQ(value_of(fields, n, E::guest_cs_access_rights), 0xA09Bull);
    CHECK_EQ(value_of(fields, n, E::guest_ss_access_rights), 0x10000ull); /* null SS: unusable */
    CHECK_EQ(value_of(fields, n, E::guest_ds_access_rights), 0xC093ull);
    CHECK_EQ(value_of(fields, n, E::guest_fs_base), 0xFFFF800000002000ull);
    CHECK_EQ(value_of(fields, n, E::guest_tr_base), 0xFFFF800000003000ull);
    CHECK_EQ(value_of(fields, n, E::guest_tr_limit), 0x67ull);
    CHECK_EQ(value_of(fields, n, E::guest_gdtr_limit), 0xFFFFull);
    CHECK_EQ(value_of(fields, n, E::guest_rip), 0xFFFFFFFF80123456ull);
    CHECK_EQ(value_of(fields, n, E::guest_rsp), 0xFFFF800000010000ull);
    CHECK_EQ(value_of(fields, n, E::guest_rflags), 2ull);
    CHECK_EQ(value_of(fields, n, E::guest_dr7), 0x400ull);
    CHECK_EQ(value_of(fields, n, E::guest_sysenter_cs), 8ull);
    /* Without load EFER, LMA and LME follow the host address-space size. */
    vmcs12.set(E::exit_controls, 0);
    n = l1_state_after_exit(vmcs12, before, fields, ia32e);
    CHECK(!ia32e);
    CHECK_EQ(value_of(fields, n, E::guest_efer), uint64_t(EFER_SCE));
    CHECK_EQ(value_of(fields, n, E::guest_cs_access_rights), 0xC09Bull);
}

UNIT_TEST(vm_exit12_l1_state_after_exit_reads_only_what_changes_l1_state_after_exit_names)
{
    /* L0 keeps l1_state_after_exit()'s result between exits until VMCS12's
     * host fields or exit controls change (changes_l1_state_after_exit):
     * changing any other field must leave the result as it was, and each
     * host field or the exit controls must count as a change. */
    Vmcs12 vmcs12;
    for (size_t slot = 0; slot < supported_field_count(); ++slot)
        vmcs12.set_slot(slot, 0x1000 + slot * 8);
    vmcs12.set(E::exit_controls, uint32_t(ExitControl::host_address_space_size) | uint32_t(ExitControl::load_pat));
    L1StateBefore before{CR0_ET | CR0_PE, EFER_SCE, 0x0007040600070406};
    FieldValue first[L1_STATE_FIELD_COUNT], again[L1_STATE_FIELD_COUNT];
    bool ia32e_first = false, ia32e_again = false;
    size_t n = l1_state_after_exit(vmcs12, before, first, ia32e_first);
    for (size_t slot = 0; slot < supported_field_count(); ++slot) {
        FieldSet one;
        one.add(slot);
        if (changes_l1_state_after_exit(one))
            continue;
        Vmcs12 changed = vmcs12;
        changed.set_slot(slot, ~changed.get_slot(slot));
        CHECK_EQ(l1_state_after_exit(changed, before, again, ia32e_again), n);
        CHECK(ia32e_again == ia32e_first);
        for (size_t i = 0; i < n; ++i)
            CHECK(again[i].field == first[i].field && again[i].value == first[i].value);
    }
    auto names = [](E field) {
        FieldSet one;
        one.add(size_t(field_slot(uint64_t(field))));
        return changes_l1_state_after_exit(one);
    };
    CHECK(names(E::host_rip));
    CHECK(names(E::host_cs_selector));
    CHECK(names(E::host_pat));
    CHECK(names(E::exit_controls));
    CHECK(!names(E::guest_rip));
    CHECK(!names(E::entry_controls));
    CHECK(!names(E::exit_reason));
}

UNIT_TEST(vm_exit12_msr_load_area_names_the_failing_entry)
{
    L1Ram l1;
    ModelMsrs model;
    l1.put_entry(0x100, 0xC0000081, 0, 0x11);  /* STAR: into the model, never the host */
    l1.put_entry(0x110, 0x10, 0, 0x22);
    CHECK_EQ(load_msr_area(l1, 0x100, 2, model), 0u);
    CHECK_EQ(model.values[0xC0000081], 0x11ull);
    CHECK_EQ(model.values[0x10], 0x22ull);
    const uint32_t refused[] = {0xC0000100, 0xC0000101, 0x9B, 0x802, 0x1234};
    for (uint32_t msr : refused) {
        l1.put_entry(0x120, msr, 0, 0);
        CHECK_EQ(load_msr_area(l1, 0x100, 3, model), 3u);
    }
    l1.put_entry(0x120, 0x11, 1, 0); /* reserved bits */
    CHECK_EQ(load_msr_area(l1, 0x100, 3, model), 3u);
    CHECK_EQ(load_msr_area(l1, 0xFFF0, 2, model), 2u); /* the second entry is outside L1's RAM */
    CHECK_EQ(load_msr_area(l1, 0x100, 0, model), 0u);
}

UNIT_TEST(vm_exit12_msr_areas_stop_after_512_entries)
{
    L1Ram l1;
    ModelMsrs model;
    model.values[0x10] = 1;
    for (uint32_t i = 0; i < 600; ++i)
        l1.put_entry(0x1000 + 16 * i, 0x10, 0, i);
    CHECK_EQ(load_msr_area(l1, 0x1000, MSR_AREA_LIMIT, model), 0u);
    CHECK_EQ(model.values[0x10], uint64_t(MSR_AREA_LIMIT - 1));
    CHECK_EQ(load_msr_area(l1, 0x1000, 0xFFFFFFFF, model), MSR_AREA_LIMIT + 1);
    CHECK_EQ(store_msr_area(l1, 0x1000, MSR_AREA_LIMIT + 1, model), MSR_AREA_LIMIT + 1);
}

UNIT_TEST(vm_exit12_msr_store_area_writes_values_into_l1_memory)
{
    L1Ram l1;
    ModelMsrs model;
    model.values[0xC0000082] = 0xFFFFFFFF81000000;
    model.values[0x174] = 0x10;
    l1.put_entry(0x200, 0xC0000082, 0, 0);
    l1.put_entry(0x210, 0x174, 0, 0);
    CHECK_EQ(store_msr_area(l1, 0x200, 2, model), 0u);
    CHECK_EQ(l1.value_at(0x208), 0xFFFFFFFF81000000ull);
    CHECK_EQ(l1.value_at(0x218), 0x10ull);
    l1.put_entry(0x210, 0x9999, 0, 0); /* an MSR the model does not have */
    CHECK_EQ(store_msr_area(l1, 0x200, 2, model), 2u);
    CHECK_EQ(store_msr_area(l1, 0xFFF8, 1, model), 1u);
}
