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

#include <stdint.h>

#define HYPERVISOR_CPUID_BASE 0x40000000u
#define HYPERVISOR_CPUID_FEATURES 0x40000001u
#define HYPERVISOR_SIGNATURE "SWEBSWEBSWEB"
#define HYPERVISOR_SIGNATURE_EBX 0x42455753u /* "SWEB" as little-endian bytes */

#define HYPERCALL_ABI_VERSION 1u

/* Feature bits in CPUID.40000001h:EBX. */
#define HYPERCALL_FEATURE_CONSOLE (1u << 0) /* ping, print, power off */
#define HYPERCALL_FEATURE_TEST (1u << 1)    /* test report */
#define HYPERCALL_FEATURE_FILES (1u << 2)   /* the paravirtual file system */
#define HYPERCALL_FEATURE_FILE_RING (1u << 3) /* its request ring (file_ring_setup, file_ring_notify) */

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

/* The paravirtual file system (HYPERCALL_FEATURE_FILES), numbers 16 and up. The
 * guest works on files of a directory of the host's file system that the host
 * chose when it started the VM (the VM's root): no path leads out of it. A handle
 * is a small number naming a file or directory the VM opened; it means nothing
 * outside that VM. Paths are NUL-terminated guest-virtual strings of fewer than
 * PATH_MAX bytes (abi/limits.h), resolved relative to the directory handle `at`
 * (or the VM's root when `at` is HYPERCALL_FILE_ROOT; an absolute path always
 * starts at the VM's root). Flags, modes, struct stat and struct dirent are those
 * of abi/fcntl.h, abi/stat.h and abi/dirent.h. Every buffer is checked through
 * the guest's page tables before a byte moves. Only guest kernel mode (CPL 0) may
 * make these calls. docs/hypercalls.md has the whole list with every error. */
#define HYPERCALL_FILE_ROOT 0xFFFFFFFFu
/* As the offset of read, write and getdents: use (and advance) the handle's position. */
#define HYPERCALL_FILE_POSITION 0xFFFFFFFFFFFFFFFFull
/* At most this many bytes per read, write or getdents (larger lengths: EINVAL). */
#define HYPERCALL_FILE_IO_MAX (1u << 20)
/* Open handles per VM (EMFILE beyond). */
#define HYPERCALL_FILE_HANDLES_MAX 64u

/* open(RBX = at, RCX = path, RDX = O_* flags, RSI = mode) -> handle. */
#define HYPERCALL_FILE_OPEN 16u
/* close(RBX = handle) -> 0. */
#define HYPERCALL_FILE_CLOSE 17u
/* read(RBX = handle, RCX = buffer, RDX = length, RSI = offset) -> bytes read (0 at the end). */
#define HYPERCALL_FILE_READ 18u
/* write(RBX = handle, RCX = buffer, RDX = length, RSI = offset) -> bytes written. */
#define HYPERCALL_FILE_WRITE 19u
/* lseek(RBX = handle, RCX = offset (signed), RDX = SEEK_*) -> the new position. */
#define HYPERCALL_FILE_LSEEK 20u
/* stat(RBX = at, RCX = path, RDX = struct stat buffer) -> 0. */
#define HYPERCALL_FILE_STAT 21u
/* fstat(RBX = handle, RCX = struct stat buffer) -> 0. */
#define HYPERCALL_FILE_FSTAT 22u
/* mkdir(RBX = at, RCX = path, RDX = mode) -> 0. */
#define HYPERCALL_FILE_MKDIR 23u
/* rmdir(RBX = at, RCX = path) -> 0. */
#define HYPERCALL_FILE_RMDIR 24u
/* unlink(RBX = at, RCX = path) -> 0. */
#define HYPERCALL_FILE_UNLINK 25u
/* rename(RBX = from at, RCX = from path, RDX = to at, RSI = to path) -> 0. */
#define HYPERCALL_FILE_RENAME 26u
/* getdents(RBX = directory handle, RCX = buffer, RDX = size, RSI = offset) -> bytes
 * of struct dirent records (0 at the end). */
#define HYPERCALL_FILE_GETDENTS 27u
/* ftruncate(RBX = handle, RCX = size) -> 0. */
#define HYPERCALL_FILE_FTRUNCATE 28u
/* truncate(RBX = at, RCX = path, RDX = size) -> 0. */
#define HYPERCALL_FILE_TRUNCATE 29u
#define HYPERCALL_FILE_FIRST HYPERCALL_FILE_OPEN
#define HYPERCALL_FILE_LAST HYPERCALL_FILE_TRUNCATE

/* The file request ring (HYPERCALL_FEATURE_FILE_RING; docs/hypercalls.md, "The
 * request ring"): file calls queued in one page of the guest's RAM, served in
 * order at one notify, the way a virtio queue works. The page, at a 4 KiB-aligned
 * guest-physical address, holds a struct hypercall_ring_header, then `entries`
 * requests, then `entries` results. The guest writes the requests and
 * `produced`; the host writes the results and `consumed`, nothing else. */
struct hypercall_ring_header {
    uint32_t produced; /* guest: requests queued so far, counting up and wrapping at 2^32 */
    uint32_t consumed; /* host: requests served so far (a copy of the host's own count) */
    uint32_t reserved[14];
};
/* One request: a file hypercall (HYPERCALL_FILE_FIRST..LAST) and its RBX, RCX,
 * RDX, RSI, with the same meaning and checks as when it is made by VMCALL;
 * guest-virtual addresses go through the page tables in use at the notify. */
struct hypercall_ring_request {
    uint64_t number;
    uint64_t arguments[4];
};
/* As a request's RBX (a handle or `at`): the result of the request served just
 * before it in the same notify (an open's handle for the fstat after it; an
 * error there makes this one EBADF). The first request of a notify has none: EBADF. */
#define HYPERCALL_RING_PREVIOUS_RESULT 0xFFFFFFFFFFFFFFFFull
/* Added to a ring request's number of read or write: its buffer (RCX) is a
 * guest-physical address, checked against guest RAM, and no page walk is made
 * (a guest kernel's buffer in its direct map). With any other number the
 * request is unknown: ENOSYS. */
#define HYPERCALL_RING_PHYSICAL_BUFFER (1ull << 32)
#define HYPERCALL_RING_ENTRIES_MAX 64u /* a power of two; the ring fits one 4 KiB page */
#define HYPERCALL_RING_REQUESTS_OFFSET 64u
#define HYPERCALL_RING_RESULTS_OFFSET(entries) (HYPERCALL_RING_REQUESTS_OFFSET + 40u * (entries))
#define HYPERCALL_RING_SIZE(entries) (HYPERCALL_RING_RESULTS_OFFSET(entries) + 8u * (entries))
/* file_ring_setup(RBX = guest-physical address of the ring page, RCX = entries, a
 * power of two up to HYPERCALL_RING_ENTRIES_MAX; RCX = 0 removes the ring) -> 0.
 * The host's count of served requests starts at 0; so must `produced`. */
#define HYPERCALL_FILE_RING_SETUP 30u
/* file_ring_notify() -> how many requests it served: every one queued, in order,
 * each result in its slot before `consumed` moves past it. */
#define HYPERCALL_FILE_RING_NOTIFY 31u

#endif
