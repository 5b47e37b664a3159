/* The little C++ runtime a freestanding kernel needs: global constructors, pure
 * virtual calls, and the hooks g++ emits for static objects. */
#include "debug/panic.h"

extern "C" {

using Constructor = void (*)();
extern Constructor __init_array_start[], __init_array_end[];

/* Kernel objects are never destroyed at "exit", so registrations are ignored. */
int __cxa_atexit(void (*)(void*), void*, void*) { return 0; }
void* __dso_handle = nullptr;

void __cxa_pure_virtual() { panic("pure virtual function called"); }

} // extern "C"

namespace cxx {

void run_global_constructors()
{
    for (Constructor* constructor = __init_array_start; constructor < __init_array_end; ++constructor)
        (*constructor)();
}

} // namespace cxx
