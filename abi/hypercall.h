/* The Matryoshka hypercall ABI, shared by the hypervisor and every guest that
 * talks to it (our own kernel and the test guests). docs/hypercalls.md explains
 * it; this header is the one definition of its numbers. Plain C, fixed sizes.
 *
 * Detection: CPUID.1:ECX[31] (hypervisor present); CPUID leaf 0x40000000 returns
 * EAX = the largest hypervisor leaf and EBX, ECX, EDX = "SWEB" "SWEB" "SWEB";
 * leaf 0x40000001 returns EAX = HYPERCALL_ABI_VERSION, EBX = the feature bits and
 * ECX = the TSC's frequency in kHz (the guest's TSC is the host's), 0 if unknown.
 *
 * Calling convention: VMCALL with RAX = hypercall number, arguments in RBX, RCX,
 * RDX, RSI (in that order; a 32-bit guest uses the low halves), result in RAX:
 * zero or positive on success, a negative errno value (abi/errno.h) on failure.
 * Every other register is preserved. Unknown numbers return -ENOSYS. */
#ifndef MATRYOSHKA_ABI_HYPERCALL_H
#define MATRYOSHKA_ABI_HYPERCALL_H

#define HYPERVISOR_CPUID_BASE 0x40000000u
#define HYPERVISOR_CPUID_FEATURES 0x40000001u
#define HYPERVISOR_SIGNATURE "SWEBSWEBSWEB"
#define HYPERVISOR_SIGNATURE_EBX 0x42455753u /* "SWEB" as little-endian bytes */

#define HYPERCALL_ABI_VERSION 1u

/* Feature bits in CPUID.40000001h:EBX. */
#define HYPERCALL_FEATURE_CONSOLE (1u << 0) /* ping, print, power off */
#define HYPERCALL_FEATURE_TEST (1u << 1)    /* test report */
#define HYPERCALL_FEATURE_FILES (1u << 2)   /* the paravirtual file system */

/* ping(RBX = any value) -> RAX = HYPERCALL_ABI_VERSION, RBX = value + 1. */
#define HYPERCALL_PING 0u
/* print(RBX = guest-virtual address, RCX = length <= HYPERCALL_PRINT_MAX) -> bytes
 * printed. The host logs the text as a line tagged with the VM's id. */
#define HYPERCALL_PRINT 1u
/* power_off(RBX = exit status) -> does not return: the VM stops with that status. */
#define HYPERCALL_POWER_OFF 2u
/* test_report(RBX = guest-virtual address of a NUL-terminated name, RCX = outcome
 * 0 pass, 1 fail, 2 skip, RDX = guest-virtual address of a reason or 0) -> 0.
 * Test guests report each check; the host logs "[vmN hypercall] PASS: name". */
#define HYPERCALL_TEST_REPORT 3u

#define HYPERCALL_PRINT_MAX 4096u
#define HYPERCALL_NAME_MAX 128u

#endif
