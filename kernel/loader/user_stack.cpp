/* The initial user stack; see user_stack.h. */
#include "loader/user_stack.h"

namespace user_stack {

namespace {

constexpr uint64_t STACK_ALIGNMENT = 16; /* ABI: RSP is 16-byte aligned at process entry */
constexpr uint64_t AT_NULL = 0;

size_t string_length(const char* text)
{
    size_t length = 0;
    while (text[length])
        ++length;
    return length;
}

/* Bytes of all strings of `list` including their terminators, or SIZE_MAX when that
 * overflows (which no buffer can hold anyway). */
size_t strings_size(const StringList& list)
{
    size_t total = 0;
    for (size_t i = 0; i < list.count; ++i) {
        size_t length = string_length(list.strings[i]) + 1;
        if (length > SIZE_MAX - total)
            return SIZE_MAX;
        total += length;
    }
    return total;
}

/* Lays down one list's strings from `*cursor` upward and stores their user
 * addresses in consecutive slots starting at `slots`. */
void place_strings(const StringList& list, uint8_t* base, uint64_t base_address, size_t* cursor, uint8_t* slots)
{
    for (size_t i = 0; i < list.count; ++i) {
        size_t length = string_length(list.strings[i]) + 1;
        __builtin_memcpy(base + *cursor, list.strings[i], length);
        uint64_t address = base_address + *cursor;
        __builtin_memcpy(slots + i * 8, &address, 8);
        *cursor += length;
    }
}

void put_word(uint8_t* at, uint64_t value) { __builtin_memcpy(at, &value, 8); }

} // namespace

const char* stack_error_name(StackError error)
{
    switch (error) {
    case StackError::none: return "none";
    case StackError::does_not_fit: return "does_not_fit";
    case StackError::misaligned_top: return "misaligned_top";
    }
    return "unknown";
}

StackResult build(const StringList& argv, const StringList& envp, void* buffer, size_t size, uint64_t top)
{
    StackResult result{StackError::none, 0, 0, 0};
    if (top % STACK_ALIGNMENT != 0) {
        result.error = StackError::misaligned_top;
        return result;
    }
    size_t argv_bytes = strings_size(argv), envp_bytes = strings_size(envp);
    /* Counts and sizes beyond the buffer's are rejected first, so that the sums and
     * products below cannot overflow. */
    if (top < size || argv.count > size / 8 || envp.count > size / 8 || argv_bytes > size ||
        envp_bytes > size - argv_bytes) {
        result.error = StackError::does_not_fit;
        return result;
    }
    /* argc, argv + NULL, envp + NULL, the AT_NULL pair. */
    size_t vector_bytes = (1 + argv.count + 1 + envp.count + 1 + 2) * 8;
    size_t strings_start = size - argv_bytes - envp_bytes; /* an offset into buffer */
    /* `top` is aligned, so aligning buffer offsets aligns the user addresses too.
     * The vectors end at or below the strings and start at an aligned RSP. */
    size_t vector_end = strings_start & ~size_t(STACK_ALIGNMENT - 1);
    if (vector_bytes > vector_end) {
        result.error = StackError::does_not_fit;
        return result;
    }
    size_t vector_start = (vector_end - vector_bytes) & ~size_t(STACK_ALIGNMENT - 1);

    auto* base = static_cast<uint8_t*>(buffer);
    uint64_t base_address = top - size;
    uint8_t* words = base + vector_start;
    put_word(words, argv.count);
    size_t cursor = strings_start;
    place_strings(argv, base, base_address, &cursor, words + 8);
    put_word(words + 8 * (1 + argv.count), 0);
    place_strings(envp, base, base_address, &cursor, words + 8 * (2 + argv.count));
    put_word(words + 8 * (2 + argv.count + envp.count), 0);
    put_word(words + 8 * (3 + argv.count + envp.count), AT_NULL);
    put_word(words + 8 * (4 + argv.count + envp.count), 0);
    /* Zero the padding between the vectors and the strings: no stale kernel bytes. */
    for (size_t i = vector_start + vector_bytes; i < strings_start; ++i)
        base[i] = 0;

    result.stack_pointer = base_address + vector_start;
    result.argv_address = result.stack_pointer + 8;
    result.envp_address = result.stack_pointer + 8 * (2 + argv.count);
    return result;
}

} // namespace user_stack
