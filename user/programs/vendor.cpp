/* vendor: prints the CPU's vendor string (CPUID leaf 0) and, when CPUID.1:ECX bit 31
 * says a hypervisor runs us, the hypervisor's signature (leaf 0x40000000). The
 * slides' demo: a guest started with `vm start --sweb-vendor` prints SWEBSWEBSWEB
 * where the host prints its CPU's vendor (docs/students.md). */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

namespace {

struct Cpuid {
    uint32_t eax, ebx, ecx, edx;
};

Cpuid cpuid(uint32_t leaf)
{
    Cpuid r;
    asm volatile("cpuid" : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx) : "a"(leaf), "c"(0));
    return r;
}

/* Twelve characters from three registers, in the order the SDM gives for each leaf. */
void print_text(const char* label, uint32_t first, uint32_t second, uint32_t third)
{
    char text[13];
    memcpy(text, &first, 4);
    memcpy(text + 4, &second, 4);
    memcpy(text + 8, &third, 4);
    text[12] = '\0';
    printf("%s: %s\n", label, text);
}

} // namespace

int main()
{
    Cpuid leaf0 = cpuid(0);
    print_text("vendor", leaf0.ebx, leaf0.edx, leaf0.ecx); /* "GenuineIntel": EBX, EDX, ECX */
    if (cpuid(1).ecx & (1u << 31)) {
        Cpuid hypervisor = cpuid(0x40000000);
        print_text("hypervisor", hypervisor.ebx, hypervisor.ecx, hypervisor.edx);
    } else {
        printf("hypervisor: none\n");
    }
    return 0;
}
