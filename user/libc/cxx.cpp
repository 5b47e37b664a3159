/* The C++ runtime user programs need without exceptions or RTTI: new and delete on
 * malloc, and the handler for a call to a pure virtual function. */
#include <stddef.h>
#include <stdlib.h>
#include <unistd.h>

void* operator new(size_t size)
{
    void* block = malloc(size);
    if (!block)
        abort(); /* no exceptions: running out of memory ends the program */
    return block;
}

void* operator new[](size_t size) { return operator new(size); }
void operator delete(void* block) noexcept { free(block); }
void operator delete[](void* block) noexcept { free(block); }
void operator delete(void* block, size_t) noexcept { free(block); }
void operator delete[](void* block, size_t) noexcept { free(block); }

extern "C" void __cxa_pure_virtual() { abort(); }
