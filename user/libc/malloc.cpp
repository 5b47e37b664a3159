/* malloc, free, calloc, realloc: a first-fit allocator over memory from brk.
 * Free blocks form a list sorted by address, so that free() merges a block with
 * its free neighbours and the heap does not splinter. Every block starts with a
 * 16-byte header and its payload is 16-byte aligned. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

namespace {

constexpr size_t ALIGNMENT = 16;
constexpr size_t GROW_AT_LEAST = 64 * 1024; /* fewer brk calls for small requests */
constexpr uint64_t USED_MAGIC = 0x6d616c6c6f632b2bULL; /* catches double and wild frees */

struct Block {
    size_t size; /* the whole block including this header, a multiple of ALIGNMENT */
    union {
        Block* next_free; /* while free */
        uint64_t magic;   /* while in use: USED_MAGIC */
    };
};
static_assert(sizeof(Block) == ALIGNMENT, "the payload after a header must stay aligned");

Block* free_list = nullptr;

size_t block_size_for(size_t request)
{
    if (request > SIZE_MAX - sizeof(Block) - ALIGNMENT)
        return 0;
    return (request + sizeof(Block) + ALIGNMENT - 1) & ~(ALIGNMENT - 1);
}

bool adjacent(const Block* a, const Block* b) { return reinterpret_cast<const uint8_t*>(a) + a->size == reinterpret_cast<const uint8_t*>(b); }

/* Puts `block` into the address-ordered list and merges it with its neighbours. */
void insert_free(Block* block)
{
    Block* previous = nullptr;
    Block* next = free_list;
    while (next && next < block) {
        previous = next;
        next = next->next_free;
    }
    block->next_free = next;
    if (next && adjacent(block, next)) {
        block->size += next->size;
        block->next_free = next->next_free;
    }
    if (!previous) {
        free_list = block;
    } else if (adjacent(previous, block)) {
        previous->size += block->size;
        previous->next_free = block->next_free;
    } else {
        previous->next_free = block;
    }
}

/* Asks brk for at least `size` more bytes and frees them into the list. */
bool grow(size_t size)
{
    size_t amount = size < GROW_AT_LEAST ? GROW_AT_LEAST : size;
    void* start = sbrk(intptr_t(amount));
    if (start == reinterpret_cast<void*>(-1))
        return false;
    /* The first break may be unaligned; waste the few bytes up to alignment. */
    uintptr_t aligned = (uintptr_t(start) + ALIGNMENT - 1) & ~(ALIGNMENT - 1);
    auto* block = reinterpret_cast<Block*>(aligned);
    block->size = (amount - (aligned - uintptr_t(start))) & ~(ALIGNMENT - 1);
    insert_free(block);
    return true;
}

/* Takes a first fit out of the free list, splitting off the remainder. */
Block* take_first_fit(size_t size)
{
    for (Block** link = &free_list; *link; link = &(*link)->next_free) {
        Block* block = *link;
        if (block->size < size)
            continue;
        if (block->size - size >= 2 * sizeof(Block)) {
            auto* rest = reinterpret_cast<Block*>(reinterpret_cast<uint8_t*>(block) + size);
            rest->size = block->size - size;
            rest->next_free = block->next_free;
            *link = rest;
            block->size = size;
        } else {
            *link = block->next_free;
        }
        block->magic = USED_MAGIC;
        return block;
    }
    return nullptr;
}

Block* header_of(void* payload) { return static_cast<Block*>(payload) - 1; }

} // namespace

extern "C" {

void* malloc(size_t request)
{
    size_t size = block_size_for(request);
    if (size == 0)
        return nullptr;
    Block* block = take_first_fit(size);
    if (!block && grow(size))
        block = take_first_fit(size);
    return block ? block + 1 : nullptr;
}

void free(void* payload)
{
    if (!payload)
        return;
    Block* block = header_of(payload);
    if (block->magic != USED_MAGIC)
        abort(); /* a double free or a pointer malloc never returned */
    insert_free(block);
}

void* calloc(size_t count, size_t size)
{
    if (size && count > SIZE_MAX / size)
        return nullptr;
    void* payload = malloc(count * size);
    if (payload)
        memset(payload, 0, count * size);
    return payload;
}

void* realloc(void* payload, size_t request)
{
    if (!payload)
        return malloc(request);
    if (request == 0) {
        free(payload);
        return nullptr;
    }
    size_t have = header_of(payload)->size - sizeof(Block);
    if (request <= have)
        return payload;
    void* moved = malloc(request);
    if (moved) {
        memcpy(moved, payload, have);
        free(payload);
    }
    return moved;
}

} // extern "C"
