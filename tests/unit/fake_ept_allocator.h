/* EPT and NPT table pages for the unit tests: made-up host addresses from
 * 0x7000'0000 on, optionally limited, each page checked when used or freed.
 * Shared by ept_test.cpp, shadow_ept_test.cpp and npt_test.cpp: both backends'
 * allocator interfaces have the same three calls. */
#pragma once
#include "hypervisor/vmx/ept.h"
#include "unit_test.h"

#include <array>
#include <map>
#include <memory>

template <class Allocator>
class FakeTableAllocator : public Allocator {
public:
    using Page = typename Allocator::Page;

    explicit FakeTableAllocator(size_t limit = 1000) : limit_(limit) {}

    Page allocate_table() override
    {
        if (pages_.size() == limit_)
            return {0, nullptr};
        uint64_t physical = next_;
        next_ += 0x1000;
        auto& page = pages_[physical];
        page = std::make_unique<std::array<uint64_t, 512>>();
        page->fill(0);
        return {physical, page->data()};
    }
    uint64_t* table_at(uint64_t physical) override
    {
        auto found = pages_.find(physical);
        if (found == pages_.end()) {
            unit::record_failure("table_at of a page never allocated");
            return nullptr;
        }
        return found->second->data();
    }
    void free_table(uint64_t physical) override
    {
        if (!pages_.erase(physical))
            unit::record_failure("free_table of a page not allocated (or freed twice)");
    }
    size_t live() const { return pages_.size(); }

private:
    std::map<uint64_t, std::unique_ptr<std::array<uint64_t, 512>>> pages_;
    uint64_t next_ = 0x70000000;
    size_t limit_;
};

using FakeAllocator = FakeTableAllocator<vmx::EptPageAllocator>;
