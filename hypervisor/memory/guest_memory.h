/* A guest's RAM: host page frames from the PageManager, in 2 MiB-aligned runs where
 * the host has them (so EPT can map 2 MiB pages) and 4 KiB frames otherwise. No
 * VMX here: the EPT (or, later, SVM's nested page tables) is built from runs().
 * Every access by guest-physical address is bounds-checked: the guest never
 * names a host address. */
#pragma once
#include "hypervisor/guest_loader/guest_memory_writer.h"
#include "hypervisor/memory/guest_virtual_memory.h"
#include "mm/memory_result.h"

#include <stddef.h>
#include <stdint.h>

/* The loader writes it; the guest page walk and the hypercalls read and write it. */
class GuestMemory final : public guest_loader::GuestMemoryWriter, public guest_paging::GuestPhysicalMemory {
public:
    static constexpr size_t MAX_RUNS = 2048;

    struct Run {
        uint64_t guest_physical;
        uint64_t host_physical;
        uint64_t length;
    };

    GuestMemory() = default;
    ~GuestMemory() { release(); }
    GuestMemory(const GuestMemory&) = delete;
    GuestMemory& operator=(const GuestMemory&) = delete;

    /* Backs [0, size) with zeroed host frames; on failure gives back what it took. */
    [[nodiscard]] MemoryError allocate(uint64_t size);
    /* Returns every frame to the PageManager. */
    void release();

    uint64_t size() const { return size_; }
    const Run* runs() const { return runs_; }
    size_t run_count() const { return run_count_; }

    /* The host (direct-map) address of [guest_physical, +length), or nullptr when
     * the range is not entirely RAM or crosses from one run into another. */
    uint8_t* host_pointer(uint64_t guest_physical, size_t length);

    [[nodiscard]] bool read(uint64_t guest_physical, void* out, size_t length) override;
    bool is_ram(uint64_t guest_physical, uint64_t length) const override
    {
        return guest_physical < size_ && length <= size_ - guest_physical;
    }
    [[nodiscard]] bool write(uint64_t guest_physical, const void* bytes, size_t length) override;
    [[nodiscard]] bool zero(uint64_t guest_physical, size_t length) override;
    uint8_t* host_address(uint64_t guest_physical, uint64_t& contiguous) override;

private:
    [[nodiscard]] bool add_run(uint64_t host_physical, uint64_t length);
    /* The run holding `guest_physical` (which must be below size()). */
    const Run& run_of(uint64_t guest_physical) const;
    /* Calls visit(host pointer, length) for each run-piece of the range. */
    template <typename Visit> bool for_each_piece(uint64_t guest_physical, size_t length, Visit visit);

    /* MAX_RUNS entries from the kernel heap while the RAM is allocated, so that
     * an ended VM's record (kept for `vm list`) does not keep the table. */
    Run* runs_ = nullptr;
    size_t run_count_ = 0;
    uint64_t size_ = 0;
};
