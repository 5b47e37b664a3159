/* The runtime every test guest shares: each guest defines GUEST_NAME and
 * guest_main(); the runtime checks it runs under the Matryoshka hypervisor, calls
 * guest_main, reports each check through HYPERCALL_TEST_REPORT as
 * "GUEST_NAME.check" and powers off with status 0 when all passed, 1 otherwise.
 * Without the hypervisor (say, under bare QEMU) it prints "no hypervisor" to the
 * debug port 0xE9 and COM1 and leaves through QEMU's isa-debug-exit device. */
#pragma once
#include "kernel/boot/multiboot.h"

#include <stdint.h>

namespace guest {

/* Defined by each guest. */
extern const char GUEST_NAME[];
void guest_main();

/* Reports "GUEST_NAME.check_name" as passed or failed (with the reason). */
void check(const char* check_name, bool passed, const char* reason_if_failed = "");
/* Reports a check that cannot run here. */
void skip(const char* check_name, const char* reason);
uint32_t failure_count();

/* Powers off with status 0 when every check passed, 1 otherwise. */
[[noreturn]] void finish();

/* The Multiboot information the loader passed (its physical address; paging is off). */
const multiboot::Info* multiboot_info();

/* Exit value written to QEMU's isa-debug-exit (port 0xF4) when there is no
 * hypervisor: QEMU then exits with status (value << 1) | 1 = 33. */
constexpr uint32_t NO_HYPERVISOR_EXIT_VALUE = 0x10;
constexpr uint16_t QEMU_DEBUG_EXIT_PORT = 0xF4;
constexpr uint16_t DEBUG_CONSOLE_PORT = 0xE9;
constexpr uint16_t COM1_PORT = 0x3F8;

} // namespace guest
