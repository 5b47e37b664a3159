/* Names of the memory subsystem's errors, for messages; see memory_result.h. */
#include "mm/memory_result.h"

const char* memory_error_name(MemoryError error)
{
    switch (error) {
    case MemoryError::none: return "none";
    case MemoryError::out_of_memory: return "out of memory";
    case MemoryError::already_mapped: return "already mapped";
    case MemoryError::not_mapped: return "not mapped";
    case MemoryError::bad_address: return "bad address";
    }
    return "?";
}
