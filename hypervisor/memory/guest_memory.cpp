/* Guest RAM backed by PageManager frames; see guest_memory.h. */
#include "hypervisor/memory/guest_memory.h"

#include "lib/string.h"
#include "mm/direct_map.h"
#include "mm/memory_map.h"
#include "mm/page_manager.h"

#include <new>

namespace {
constexpr uint64_t LARGE_FRAMES = LARGE_PAGE_SIZE / PAGE_SIZE;
} // namespace

bool GuestMemory::add_run(uint64_t host_physical, uint64_t length)
{
    Run* last = run_count_ ? &runs_[run_count_ - 1] : nullptr;
    if (last && last->host_physical + last->length == host_physical) {
        last->length += length; /* contiguous with the previous run: extend it */
    } else {
        if (run_count_ == MAX_RUNS)
            return false;
        runs_[run_count_++] = {size_, host_physical, length};
    }
    memset(phys_to_virt(host_physical), 0, length);
    size_ += length;
    return true;
}

MemoryError GuestMemory::allocate(uint64_t size)
{
    release();
    runs_ = new (std::nothrow) Run[MAX_RUNS];
    if (!runs_)
        return MemoryError::out_of_memory;
    PageManager& pages = PageManager::instance();
    /* Guest RAM is what a user program asked for (vm start --mem): ordinary
     * claims, which leave the kernel's reserve alone. */
    while (size_ < size) {
        uint64_t left = size - size_;
        /* 2 MiB runs keep EPT at 2 MiB pages; 4 KiB frames when none is left. */
        if (left >= LARGE_PAGE_SIZE && size_ % LARGE_PAGE_SIZE == 0) {
            MemoryResult<uint64_t> large = pages.allocate_pages(LARGE_FRAMES, LARGE_PAGE_SIZE, PageClaim::ordinary);
            if (large.ok()) {
                if (!add_run(large.value(), LARGE_PAGE_SIZE)) {
                    pages.free_pages(large.value(), LARGE_FRAMES);
                    release();
                    return MemoryError::out_of_memory;
                }
                continue;
            }
        }
        MemoryResult<uint64_t> page = pages.allocate_page(PageClaim::ordinary);
        if (!page.ok() || !add_run(page.value(), PAGE_SIZE)) {
            if (page.ok())
                pages.free_page(page.value());
            release();
            return MemoryError::out_of_memory;
        }
    }
    return MemoryError::none;
}

void GuestMemory::release()
{
    for (size_t i = 0; i < run_count_; ++i)
        PageManager::instance().free_pages(runs_[i].host_physical, runs_[i].length / PAGE_SIZE);
    delete[] runs_;
    runs_ = nullptr;
    run_count_ = 0;
    size_ = 0;
}

const GuestMemory::Run& GuestMemory::run_of(uint64_t guest_physical) const
{
    /* Runs are sorted by guest address and cover [0, size_) without gaps; a
     * binary search finds the one. */
    size_t low = 0, high = run_count_;
    while (high - low > 1) {
        size_t middle = (low + high) / 2;
        (runs_[middle].guest_physical <= guest_physical ? low : high) = middle;
    }
    return runs_[low];
}

uint8_t* GuestMemory::host_address(uint64_t guest_physical, uint64_t& contiguous)
{
    contiguous = 0;
    if (guest_physical >= size_)
        return nullptr;
    const Run& run = run_of(guest_physical);
    uint64_t offset = guest_physical - run.guest_physical;
    contiguous = run.length - offset;
    return phys_to_virt<uint8_t>(run.host_physical + offset);
}

template <typename Visit> bool GuestMemory::for_each_piece(uint64_t guest_physical, size_t length, Visit visit)
{
    if (guest_physical + length < guest_physical || guest_physical + length > size_)
        return false;
    for (size_t i = size_t(&run_of(guest_physical) - runs_); length && i < run_count_; ++i) {
        const Run& run = runs_[i];
        uint64_t offset = guest_physical - run.guest_physical;
        uint64_t piece = run.length - offset < length ? run.length - offset : length;
        visit(phys_to_virt<uint8_t>(run.host_physical + offset), size_t(piece));
        guest_physical += piece;
        length -= piece;
    }
    return length == 0;
}

uint8_t* GuestMemory::host_pointer(uint64_t guest_physical, size_t length)
{
    uint8_t* result = nullptr;
    size_t pieces = 0;
    if (!for_each_piece(guest_physical, length, [&](uint8_t* host, size_t) {
            result = host;
            ++pieces;
        }))
        return nullptr;
    return pieces == 1 ? result : nullptr;
}

bool GuestMemory::read(uint64_t guest_physical, void* out, size_t length)
{
    auto* target = static_cast<uint8_t*>(out);
    return for_each_piece(guest_physical, length, [&](uint8_t* host, size_t piece) {
        memcpy(target, host, piece);
        target += piece;
    });
}

bool GuestMemory::write(uint64_t guest_physical, const void* bytes, size_t length)
{
    auto* source = static_cast<const uint8_t*>(bytes);
    return for_each_piece(guest_physical, length, [&](uint8_t* host, size_t piece) {
        memcpy(host, source, piece);
        source += piece;
    });
}

bool GuestMemory::zero(uint64_t guest_physical, size_t length)
{
    return for_each_piece(guest_physical, length, [&](uint8_t* host, size_t piece) { memset(host, 0, piece); });
}
