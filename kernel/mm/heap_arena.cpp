/* Kernel heap bookkeeping; see heap_arena.h. */
#include "mm/heap_arena.h"

/* Every block starts with this header; the caller's bytes follow it, then the
 * canary (unaligned, right after the last requested byte), then padding up to the
 * next block. A block's magic says whether it is used or free. */
struct HeapArena::Block {
    uint64_t magic;
    size_t size;      /* the whole block, header included; a multiple of ALIGNMENT */
    size_t requested; /* the caller's bytes (used blocks) */
    Block* next_free; /* the next free block by address (free blocks) */

    unsigned char* bytes() { return reinterpret_cast<unsigned char*>(this); }
    Block* next_in_memory() { return reinterpret_cast<Block*>(bytes() + size); }
    void* user() { return bytes() + sizeof(Block); }
};

/* Every region starts with this header; its blocks follow, end to end. */
struct HeapArena::Region {
    Region* next;
    size_t size; /* header included */

    Block* first_block() { return reinterpret_cast<Block*>(reinterpret_cast<unsigned char*>(this) + sizeof(Region)); }
    Block* end() { return reinterpret_cast<Block*>(reinterpret_cast<unsigned char*>(this) + size); }
};

namespace {

constexpr uint64_t MAGIC_USED = 0x5EB0A110CA7EDB10;
constexpr uint64_t MAGIC_FREE = 0x5EBF4EEB10C5F4EE;
constexpr uint64_t CANARY = 0xCA4A4DC0A1D5EB0B;
constexpr size_t CANARY_SIZE = sizeof(CANARY);

size_t align_up(size_t value, size_t alignment) { return (value + alignment - 1) & ~(alignment - 1); }
uintptr_t address_of(const void* pointer) { return reinterpret_cast<uintptr_t>(pointer); }

/* The canary is stored byte by byte: it sits right after the caller's bytes, at
 * any alignment. */
void write_canary(unsigned char* at) { __builtin_memcpy(at, &CANARY, CANARY_SIZE); }
bool canary_intact(const unsigned char* at)
{
    uint64_t value;
    __builtin_memcpy(&value, at, CANARY_SIZE);
    return value == CANARY;
}

/* The smallest block worth splitting off: a header (32 bytes) and ALIGNMENT bytes. */
constexpr size_t MIN_BLOCK = 32 + HeapArena::ALIGNMENT;

} // namespace

size_t HeapArena::region_size_for(size_t size, size_t alignment)
{
    static_assert(sizeof(Block) == 32 && sizeof(Region) == REGION_HEADER && REGION_HEADER % ALIGNMENT == 0);
    alignment = alignment < ALIGNMENT ? ALIGNMENT : alignment;
    /* Region header, the worst leading gap before an aligned block, the block. */
    return sizeof(Region) + alignment + MIN_BLOCK + align_up(sizeof(Block) + size + CANARY_SIZE, ALIGNMENT);
}

void HeapArena::add_region(void* start, size_t size)
{
    size &= ~(ALIGNMENT - 1);
    if (address_of(start) % ALIGNMENT != 0 || size < region_size_for(0, ALIGNMENT))
        return;
    Region* region = static_cast<Region*>(start);
    region->size = size;
    region->next = regions_;
    regions_ = region;
    ++stats_.regions;
    stats_.region_bytes += size;

    Block* block = region->first_block();
    block->magic = MAGIC_FREE;
    block->size = size - sizeof(Region);
    stats_.free_bytes += block->size;
    ++stats_.free_blocks;
    insert_free(block);
}

void HeapArena::unlink_free(Block* block, Block* previous_free)
{
    (previous_free ? previous_free->next_free : free_list_) = block->next_free;
    stats_.free_bytes -= block->size;
    --stats_.free_blocks;
}

/* Inserts by address and merges with the neighbours it touches. */
HeapArena::Block* HeapArena::insert_free(Block* block)
{
    Block* previous = nullptr;
    Block* next = free_list_;
    while (next && next < block) {
        previous = next;
        next = next->next_free;
    }
    block->next_free = next;
    (previous ? previous->next_free : free_list_) = block;
    if (next && block->next_in_memory() == next) {
        block->size += next->size;
        block->next_free = next->next_free;
        --stats_.free_blocks;
    }
    if (previous && previous->next_in_memory() == block) {
        previous->size += block->size;
        previous->next_free = block->next_free;
        --stats_.free_blocks;
        return previous;
    }
    return block;
}

/* Turns (part of) `free_block` into a used block whose user bytes are aligned:
 * a leading gap and a trailing rest large enough to be blocks go back to the free
 * list. nullptr when it does not fit. */
HeapArena::Block* HeapArena::carve(Block* free_block, Block* previous_free, size_t size, size_t alignment)
{
    size_t needed = align_up(sizeof(Block) + size + CANARY_SIZE, ALIGNMENT);
    uintptr_t start = address_of(free_block);
    uintptr_t header = align_up(start + sizeof(Block), alignment) - sizeof(Block);
    while (header != start && header - start < MIN_BLOCK)
        header += alignment;
    size_t lead = header - start;
    if (lead + needed > free_block->size)
        return nullptr;

    size_t total = free_block->size;
    unlink_free(free_block, previous_free);
    Block* block = reinterpret_cast<Block*>(header);
    block->size = total - lead;
    if (block->size - needed >= MIN_BLOCK) {
        Block* rest = reinterpret_cast<Block*>(header + needed);
        rest->magic = MAGIC_FREE;
        rest->size = block->size - needed;
        block->size = needed;
        stats_.free_bytes += rest->size;
        ++stats_.free_blocks;
        insert_free(rest);
    }
    if (lead) {
        free_block->size = lead; /* its header stays where it was */
        stats_.free_bytes += lead;
        ++stats_.free_blocks;
        insert_free(free_block);
    }
    return block;
}

void* HeapArena::allocate(size_t size, size_t alignment)
{
    if (alignment == 0 || (alignment & (alignment - 1)) != 0 || size > SIZE_MAX / 2)
        return nullptr;
    alignment = alignment < ALIGNMENT ? ALIGNMENT : alignment;
    last_freed_ = nullptr; /* may be carved from now */
    Block* previous = nullptr;
    for (Block* block = free_list_; block; previous = block, block = block->next_free) {
        Block* used = carve(block, previous, size, alignment);
        if (!used)
            continue;
        used->magic = MAGIC_USED;
        used->requested = size;
        used->next_free = nullptr;
        write_canary(used->bytes() + sizeof(Block) + size);
        ++stats_.used_blocks;
        stats_.used_bytes += size;
        return used->user();
    }
    return nullptr;
}

HeapArena::FreeError HeapArena::free(void* pointer)
{
    Block* block = reinterpret_cast<Block*>(static_cast<unsigned char*>(pointer) - sizeof(Block));
    if (block->magic == MAGIC_FREE)
        return FreeError::double_free;
    if (block->magic != MAGIC_USED || block->size < sizeof(Block) + block->requested + CANARY_SIZE)
        return FreeError::not_a_block;
    if (!canary_intact(block->bytes() + sizeof(Block) + block->requested))
        return FreeError::overrun;
    block->magic = MAGIC_FREE;
    --stats_.used_blocks;
    stats_.used_bytes -= block->requested;
    stats_.free_bytes += block->size;
    ++stats_.free_blocks;
    last_freed_ = insert_free(block);
    return FreeError::none;
}

bool HeapArena::take_empty_region(void*& start, size_t& size, size_t keep_free)
{
    Block* freed = last_freed_;
    last_freed_ = nullptr;
    /* A region larger than keep_free goes back in any case: keeping it would hold
     * more than the heap is meant to keep free. */
    if (!freed || (stats_.free_bytes - freed->size < keep_free && freed->size <= keep_free))
        return false;
    /* Most frees leave no region empty: a region's header would stand right
     * before the block, sized to hold exactly it. The bytes there are heap
     * memory in any case (a header or the tail of the block before). */
    auto* header = reinterpret_cast<const Region*>(freed->bytes() - sizeof(Region));
    if (header->size != freed->size + sizeof(Region))
        return false;
    /* Regions are linked newest first: the first one added is the last. */
    Region** link = &regions_;
    for (Region* region = regions_; region && region->next; link = &region->next, region = region->next) {
        if (region->first_block() != freed || freed->size != region->size - sizeof(Region))
            continue;
        Block* previous_free = nullptr;
        for (Block* b = free_list_; b != freed; b = b->next_free)
            previous_free = b;
        unlink_free(freed, previous_free);
        *link = region->next;
        --stats_.regions;
        stats_.region_bytes -= region->size;
        start = region;
        size = region->size;
        return true;
    }
    return false;
}

size_t HeapArena::allocated_size(const void* pointer) const
{
    auto* block = reinterpret_cast<const Block*>(static_cast<const unsigned char*>(pointer) - sizeof(Block));
    return block->magic == MAGIC_USED ? block->requested : 0;
}

bool HeapArena::is_consistent() const
{
    size_t free_blocks = 0, used_blocks = 0;
    const Block* expected_free = free_list_;
    /* The free list is in address order, but regions are linked newest first:
     * count the free blocks per region against the list instead of walking both
     * in step. */
    for (Region* region = regions_; region; region = region->next) {
        bool previous_free = false;
        Block* block = region->first_block();
        while (block < region->end()) {
            if (block->size < MIN_BLOCK || block->size % ALIGNMENT != 0)
                return false;
            if (block->magic == MAGIC_FREE) {
                if (previous_free)
                    return false; /* two free neighbours: not coalesced */
                bool listed = false;
                for (const Block* listed_block = free_list_; listed_block; listed_block = listed_block->next_free)
                    listed |= listed_block == block;
                if (!listed)
                    return false;
                ++free_blocks;
            } else if (block->magic == MAGIC_USED) {
                if (!canary_intact(block->bytes() + sizeof(Block) + block->requested))
                    return false;
                ++used_blocks;
            } else {
                return false;
            }
            previous_free = block->magic == MAGIC_FREE;
            block = block->next_in_memory();
        }
        if (block != region->end())
            return false;
    }
    size_t listed = 0;
    for (; expected_free; expected_free = expected_free->next_free, ++listed) {
        if (expected_free->next_free && expected_free->next_free <= expected_free)
            return false;
    }
    return listed == free_blocks && free_blocks == stats_.free_blocks && used_blocks == stats_.used_blocks;
}
