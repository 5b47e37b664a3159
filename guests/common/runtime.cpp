/* The runtime of the test guests (see guest.h): hypervisor detection through
 * CPUID as abi/hypercall.h describes it, check reports, power off. */
#include "common/cpu.h"
#include "common/exceptions.h"
#include "common/guest.h"
#include "common/hypercall.h"
#include "common/port_io.h"
#include "common/text.h"

namespace guest {
namespace {

uint32_t failures = 0;
const multiboot::Info* info = nullptr;

/* Why this is not the Matryoshka hypervisor, or nullptr when it is. */
const char* hypervisor_missing()
{
    if (!(cpuid(1).ecx & CPUID_1_ECX_HYPERVISOR))
        return "CPUID.1:ECX[31] is clear";
    CpuidResult base = cpuid(HYPERVISOR_CPUID_BASE);
    if (base.ebx != HYPERVISOR_SIGNATURE_EBX || base.ecx != HYPERVISOR_SIGNATURE_EBX ||
        base.edx != HYPERVISOR_SIGNATURE_EBX)
        return "CPUID.40000000h has another signature";
    return nullptr;
}

/* COM1 as the BIOS leaves it is enough for QEMU, which ignores the baud rate. */
void write_to_consoles(const char* text)
{
    for (; *text != '\0'; ++text) {
        out8(DEBUG_CONSOLE_PORT, uint8_t(*text));
        out8(COM1_PORT, uint8_t(*text));
    }
}

[[noreturn]] void leave_without_hypervisor(const char* why)
{
    Text line;
    line.add("[guest ").add(GUEST_NAME).add("] no hypervisor: ").add(why).add("\n");
    write_to_consoles(line.c_str());
    out32(QEMU_DEBUG_EXIT_PORT, NO_HYPERVISOR_EXIT_VALUE);
    halt_forever();
}

void report(const char* check_name, TestOutcome outcome, const char* reason)
{
    Text name;
    name.add(GUEST_NAME).add(".").add(check_name);
    /* A report the host refused is a failure the host may not have seen. */
    if (test_report(name.c_str(), outcome, reason) != 0 || outcome == TestOutcome::fail)
        ++failures;
}

} // namespace

void check(const char* check_name, bool passed, const char* reason_if_failed)
{
    report(check_name, passed ? TestOutcome::pass : TestOutcome::fail, passed ? nullptr : reason_if_failed);
}

void skip(const char* check_name, const char* reason) { report(check_name, TestOutcome::skip, reason); }

uint32_t failure_count() { return failures; }

[[noreturn]] void finish() { power_off(failures == 0 ? 0 : 1); }

const multiboot::Info* multiboot_info() { return info; }

} // namespace guest

/* Called by entry.S with the loader's EAX and EBX, on our own GDT and stack. */
extern "C" [[noreturn]] void guest_start(uint32_t magic, uint32_t info_address)
{
    if (const char* why = guest::hypervisor_missing())
        guest::leave_without_hypervisor(why);
    guest::info = reinterpret_cast<const multiboot::Info*>(uintptr_t(info_address));
    guest::install_exception_handlers();
    guest::check("multiboot_magic", magic == multiboot::BOOTLOADER_MAGIC, "EAX is not 0x2BADB002");
    guest::guest_main();
    guest::finish();
}
