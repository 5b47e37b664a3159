/* Test guest "hypercall": every hypercall of abi/hypercall.h with good and bad
 * arguments, checked for its result and for the registers it must preserve.
 * A bad argument must give a negative errno value and let the guest go on. */
#include "abi/errno.h"
#include "common/guest.h"
#include "common/hypercall.h"
#include "common/text.h"

/* register_probe.S */
struct RegisterSnapshot {
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp;
    int32_t esp_delta;
};
extern "C" void probe_hypercall(uint32_t number, uint32_t ebx, uint32_t ecx, RegisterSnapshot* out);

namespace guest {

const char GUEST_NAME[] = "hypercall";

namespace {

constexpr uint32_t UNKNOWN_HYPERCALL = 0xDEAD;
/* Far beyond any guest RAM the loader accepts (3 GiB at most) and below 4 GiB. */
constexpr uint32_t FAR_OUTSIDE_RAM = 0xF0000000;

const char GREETING[] = "hello from the hypercall guest";

void check_status(const char* name, int32_t status, int32_t expected)
{
    Text reason;
    reason.add("returned ").add_decimal(status).add(", expected ").add_decimal(expected);
    check(name, status == expected, reason.c_str());
}

void check_ping()
{
    HypercallResult result = ping(41);
    check_status("ping_returns_version", result.status, HYPERCALL_ABI_VERSION);
    Text reason;
    reason.add("EBX = ").add_hex(result.ebx);
    check("ping_returns_value_plus_one", result.ebx == 42, reason.c_str());
    /* The increment wraps like the 32-bit register a 32-bit guest sees. */
    check("ping_wraps_at_32_bits", ping(0xFFFFFFFF).ebx == 0, "ping(0xffffffff) did not give 0");
}

/* VMMCALL is the same hypercall as VMCALL on either backend (one of them raises
 * #UD in hardware and is emulated): the null one on the fast path, a print
 * through the dispatcher. */
void check_vmmcall()
{
    HypercallResult result = hypercall_by_vmmcall(HYPERCALL_PING, 99);
    check("vmmcall_ping_answers_like_vmcall", result.status == HYPERCALL_ABI_VERSION && result.ebx == 100,
          "VMMCALL ping did not return the version and EBX + 1");
    check_status("vmmcall_print_returns_length",
                 hypercall_by_vmmcall(HYPERCALL_PRINT, uint32_t(uintptr_t(GREETING)), 5).status, 5);
}

/* The highest RAM address plus one, from the Multiboot information; 0 when the
 * loader gave none. */
uint32_t ram_end()
{
    const multiboot::Info* info = multiboot_info();
    if (!(info->flags & multiboot::INFO_MEMORY))
        return 0;
    return 0x100000 + info->mem_upper * 1024;
}

void check_print()
{
    check_status("print_returns_length", print(GREETING, sizeof(GREETING) - 1), sizeof(GREETING) - 1);
    check_status("print_of_nothing_returns_zero", print(GREETING, 0), 0);
    check_status("print_too_long_is_einval", print(GREETING, HYPERCALL_PRINT_MAX + 1), -EINVAL);
    check_status("print_absurd_length_is_einval", print(GREETING, 0xFFFFFFFF), -EINVAL);
    check_status("print_far_outside_ram_is_efault",
                 print(reinterpret_cast<const void*>(uintptr_t(FAR_OUTSIDE_RAM)), 16), -EFAULT);
    uint32_t end = ram_end();
    if (end == 0) {
        skip("print_past_ram_end_is_efault", "the Multiboot information has no memory sizes");
        skip("print_straddling_ram_end_is_efault", "the Multiboot information has no memory sizes");
        return;
    }
    check_status("print_past_ram_end_is_efault", print(reinterpret_cast<const void*>(uintptr_t(end)), 16), -EFAULT);
    check_status("print_straddling_ram_end_is_efault",
                 print(reinterpret_cast<const void*>(uintptr_t(end - 8)), 16), -EFAULT);
}

void check_unknown_number()
{
    check_status("unknown_number_is_enosys", hypercall(UNKNOWN_HYPERCALL).status, -ENOSYS);
    check_status("high_number_is_enosys", hypercall(0x80000000u | HYPERCALL_PING).status, -ENOSYS);
}

/* EDX, ESI, EDI and EBP carry sentinels into the VMCALL (register_probe.S). */
void check_preserved(const char* name, const RegisterSnapshot& after, uint32_t ebx, uint32_t ecx)
{
    Text reason;
    bool ok = true;
    auto expect = [&](const char* reg, uint32_t value, uint32_t wanted) {
        if (value != wanted) {
            reason.add(reg).add(" = ").add_hex(value).add(" ");
            ok = false;
        }
    };
    expect("ebx", after.ebx, ebx);
    expect("ecx", after.ecx, ecx);
    expect("edx", after.edx, 0xD2D2D2D2);
    expect("esi", after.esi, 0x5E5E5E5E);
    expect("edi", after.edi, 0xD1D1D1D1);
    expect("ebp", after.ebp, 0xBEBEBEBE);
    expect("esp moved by", uint32_t(after.esp_delta), 0);
    check(name, ok, reason.c_str());
}

void check_registers()
{
    RegisterSnapshot after;
    probe_hypercall(HYPERCALL_PING, 7, 0xC1C1C1C1, &after);
    check_preserved("ping_preserves_registers", after, 8, 0xC1C1C1C1);

    probe_hypercall(HYPERCALL_PRINT, uint32_t(uintptr_t(GREETING)), 5, &after);
    check_status("probed_print_returns_length", int32_t(after.eax), 5);
    check_preserved("print_preserves_registers", after, uint32_t(uintptr_t(GREETING)), 5);

    probe_hypercall(UNKNOWN_HYPERCALL, 0xB1B1B1B1, 0xC1C1C1C1, &after);
    check_preserved("unknown_number_preserves_registers", after, 0xB1B1B1B1, 0xC1C1C1C1);
}

} // namespace

void guest_main()
{
    check_ping();
    check_vmmcall();
    check_print();
    check_unknown_number();
    check_registers();
}

} // namespace guest
