/* fault: does what a broken program does, so that the kernel's handling of CPU
 * exceptions in user mode can be watched: the kernel must end only this process,
 * with wait status PROCESS_STATUS_FAULT | vector, and log which and where.
 *     fault null      read from address 0           (#PF, 14)
 *     fault write     write into its own code        (#PF, 14)
 *     fault kernel    read kernel memory             (#PF, 14)
 *     fault ud        an undefined instruction       (#UD, 6)
 *     fault gp        a privileged instruction (hlt) (#GP, 13)
 *     fault divide    divide by zero                 (#DE, 0) */
#include <stdio.h>
#include <string.h>

/* Not static: its address is taken to write into the program's code. */
[[gnu::noinline]] int usage()
{
    printf("usage: fault null|write|kernel|ud|gp|divide\n");
    return 2;
}

int main(int argc, char** argv)
{
    if (argc != 2)
        return usage();
    const char* what = argv[1];
    if (strcmp(what, "null") == 0)
        return *reinterpret_cast<volatile int*>(0);
    if (strcmp(what, "write") == 0)
        *reinterpret_cast<volatile char*>(reinterpret_cast<uintptr_t>(&usage)) = 0;
    else if (strcmp(what, "kernel") == 0)
        return *reinterpret_cast<volatile int*>(0xFFFFFFFF80100000ULL);
    else if (strcmp(what, "ud") == 0)
        asm volatile("ud2");
    else if (strcmp(what, "gp") == 0)
        asm volatile("hlt");
    else if (strcmp(what, "divide") == 0) {
        volatile int zero = 0;
        return 1 / zero;
    } else
        return usage();
    printf("fault: %s did not fault\n", what);
    return 1;
}
