/* hostfs_probe: a guest user program that reaches past its kernel for the host's
 * files with a VMCALL of its own (docs/hypercalls.md, "Files"): the hypervisor must
 * refuse it with -EPERM. Exits 0 when refused, 1 when the call worked. Only
 * meaningful in a guest of the Matryoshka hypervisor (on bare metal VMCALL raises
 * #UD and the kernel ends the program). */
#include <stdint.h>
#include <stdio.h>

#include "abi/errno.h"
#include "abi/fcntl.h"
#include "abi/hypercall.h"

int main()
{
    uint64_t rax = HYPERCALL_FILE_OPEN, rbx = HYPERCALL_FILE_ROOT, rcx = uint64_t("/"), rdx = O_RDONLY, rsi = 0;
    asm volatile("vmcall" : "+a"(rax), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi) : : "memory");
    int64_t result = int64_t(rax);
    printf("hostfs_probe: file hypercall from user mode returned %ld\n", static_cast<long>(result));
    return result == -EPERM ? 0 : 1;
}
