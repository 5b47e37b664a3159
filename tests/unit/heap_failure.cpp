/* Replaces the nothrow operator new of the unit-test binary (heap_failure.h). The
 * memory comes from the throwing operator new, so the sanitizer pairs it with
 * operator delete as usual. */
#include "heap_failure.h"

#include <new>

namespace {
bool armed = false;
size_t left = 0;
size_t refusals = 0;

bool refuse()
{
    if (!armed)
        return false;
    if (left == 0) {
        ++refusals;
        return true;
    }
    --left;
    return false;
}
} // namespace

void heap_failure::fail_after(size_t successes)
{
    armed = true;
    left = successes;
    refusals = 0;
}
void heap_failure::disarm() { armed = false; }
size_t heap_failure::refused() { return refusals; }

void* operator new(std::size_t size, const std::nothrow_t&) noexcept
{
    return refuse() ? nullptr : ::operator new(size);
}
void* operator new[](std::size_t size, const std::nothrow_t&) noexcept
{
    return refuse() ? nullptr : ::operator new[](size);
}
