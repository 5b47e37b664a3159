/* The PageManager's pure logic on arrays: frame bookkeeping (kernel/mm/frame_bitmap.cpp:
 * single frames, aligned runs, exhaustion, the frees that must be refused) and the
 * memory map's translation into frames (kernel/mm/memory_map.cpp). */
#include "mm/frame_bitmap.h"
#include "mm/memory_map.h"
#include "unit_test.h"

#include <set>
#include <vector>

namespace {

struct Bitmap {
    explicit Bitmap(size_t frames) : storage(FrameBitmap::words_needed(frames), 0xA5A5A5A5A5A5A5A5) { bitmap.init(storage.data(), frames); }
    std::vector<uint64_t> storage;
    FrameBitmap bitmap;
};

} // namespace

UNIT_TEST(frame_bitmap_starts_with_nothing_allocatable)
{
    Bitmap b(1000);
    CHECK_EQ(b.bitmap.usable_count(), size_t(0));
    CHECK_EQ(b.bitmap.free_count(), size_t(0));
    CHECK_EQ(b.bitmap.allocate(1, 1), FrameBitmap::NOT_FOUND);
}

UNIT_TEST(frame_bitmap_counts_usable_frames_once_and_clips_to_the_end)
{
    Bitmap b(1000);
    b.bitmap.add_usable(10, 20);
    b.bitmap.add_usable(25, 10); /* overlaps 25..29 */
    b.bitmap.add_usable(990, 100);
    CHECK_EQ(b.bitmap.usable_count(), size_t(25 + 10));
    CHECK_EQ(b.bitmap.free_count(), size_t(35));
    CHECK(b.bitmap.is_usable(34));
    CHECK(!b.bitmap.is_usable(35));
    CHECK(!b.bitmap.is_usable(1000));
}

UNIT_TEST(frame_bitmap_remove_usable_excludes_reserved_frames)
{
    Bitmap b(256);
    b.bitmap.add_usable(0, 256);
    b.bitmap.remove_usable(0, 16);
    b.bitmap.remove_usable(100, 10);
    CHECK_EQ(b.bitmap.usable_count(), size_t(230));
    std::set<size_t> got;
    for (size_t frame; (frame = b.bitmap.allocate(1, 1)) != FrameBitmap::NOT_FOUND;)
        got.insert(frame);
    CHECK_EQ(got.size(), size_t(230));
    CHECK(got.count(5) == 0 && got.count(105) == 0 && got.count(16) == 1 && got.count(255) == 1);
}

UNIT_TEST(frame_bitmap_single_frames_are_distinct_and_freeing_restores_the_count)
{
    Bitmap b(300);
    b.bitmap.add_usable(0, 300);
    std::set<size_t> got;
    for (int i = 0; i < 200; ++i)
        got.insert(b.bitmap.allocate(1, 1));
    CHECK_EQ(got.size(), size_t(200));
    CHECK_EQ(b.bitmap.free_count(), size_t(100));
    for (size_t frame : got)
        CHECK(b.bitmap.free(frame, 1).error == FrameBitmap::FreeError::none);
    CHECK_EQ(b.bitmap.free_count(), size_t(300));
}

UNIT_TEST(frame_bitmap_exhaustion_returns_not_found_then_recovers)
{
    Bitmap b(130);
    b.bitmap.add_usable(3, 127);
    std::vector<size_t> got;
    for (size_t frame; (frame = b.bitmap.allocate(1, 1)) != FrameBitmap::NOT_FOUND;)
        got.push_back(frame);
    CHECK_EQ(got.size(), size_t(127));
    CHECK_EQ(b.bitmap.free_count(), size_t(0));
    CHECK_EQ(b.bitmap.allocate(1, 1), FrameBitmap::NOT_FOUND);
    CHECK(b.bitmap.free(got[50], 1).error == FrameBitmap::FreeError::none);
    CHECK_EQ(b.bitmap.allocate(1, 1), got[50]);
}

UNIT_TEST(frame_bitmap_runs_honour_alignment_and_skip_taken_frames)
{
    Bitmap b(4096);
    b.bitmap.add_usable(1, 4095);
    size_t run = b.bitmap.allocate(512, 512); /* a 2 MiB page's worth, 2 MiB aligned */
    CHECK_EQ(run, size_t(512));               /* frame 0 is missing, so not at 0 */
    size_t second = b.bitmap.allocate(512, 512);
    CHECK_EQ(second, size_t(1024));
    CHECK(!b.bitmap.is_free(512) && !b.bitmap.is_free(1023) && b.bitmap.is_free(1536));
    size_t small = b.bitmap.allocate(3, 1);
    CHECK_EQ(small, size_t(1)); /* below the runs */
    CHECK_EQ(b.bitmap.free_count(), size_t(4095 - 1024 - 3));
}

UNIT_TEST(frame_bitmap_run_fails_when_no_aligned_gap_is_long_enough)
{
    Bitmap b(2048);
    b.bitmap.add_usable(0, 2048);
    b.bitmap.remove_usable(700, 1); /* breaks [512, 1024) */
    b.bitmap.remove_usable(1500, 1); /* breaks [1024, 1536) */
    CHECK_EQ(b.bitmap.allocate(512, 512), size_t(0));
    CHECK_EQ(b.bitmap.allocate(512, 512), size_t(1536));
    CHECK_EQ(b.bitmap.allocate(512, 512), FrameBitmap::NOT_FOUND);
    CHECK_EQ(b.bitmap.allocate(300, 1), size_t(701)); /* unaligned: the lowest gap that fits, after the hole */
}

UNIT_TEST(frame_bitmap_rejects_bad_requests)
{
    Bitmap b(64);
    b.bitmap.add_usable(0, 64);
    CHECK_EQ(b.bitmap.allocate(0, 1), FrameBitmap::NOT_FOUND);
    CHECK_EQ(b.bitmap.allocate(1, 3), FrameBitmap::NOT_FOUND); /* not a power of two */
    CHECK_EQ(b.bitmap.allocate(65, 1), FrameBitmap::NOT_FOUND);
    CHECK_EQ(b.bitmap.free_count(), size_t(64));
}

UNIT_TEST(frame_bitmap_detects_double_free_and_names_the_frame)
{
    Bitmap b(200);
    b.bitmap.add_usable(0, 200);
    size_t run = b.bitmap.allocate(4, 1);
    CHECK(b.bitmap.free(run + 2, 1).error == FrameBitmap::FreeError::none);
    FrameBitmap::FreeResult again = b.bitmap.free(run, 4);
    CHECK(again.error == FrameBitmap::FreeError::double_free);
    CHECK_EQ(again.frame, run + 2);
    /* The refused free changed nothing: the other three are still allocated. */
    CHECK(!b.bitmap.is_free(run) && !b.bitmap.is_free(run + 3));
    CHECK_EQ(b.bitmap.free_count(), size_t(197));
}

UNIT_TEST(frame_bitmap_detects_free_of_a_frame_never_allocatable)
{
    Bitmap b(200);
    b.bitmap.add_usable(10, 100);
    FrameBitmap::FreeResult result = b.bitmap.free(5, 1);
    CHECK(result.error == FrameBitmap::FreeError::never_allocatable);
    CHECK_EQ(result.frame, size_t(5));
    CHECK(b.bitmap.free(150, 1).error == FrameBitmap::FreeError::never_allocatable);
    CHECK(b.bitmap.free(5000, 1).error == FrameBitmap::FreeError::never_allocatable);
    CHECK_EQ(b.bitmap.free_count(), size_t(100));
}

/* ---- kernel/mm/memory_map.cpp: from the Multiboot memory map to frames. */

namespace {

constexpr uint64_t MIB = 1024 * 1024;

BootInfo memory_map(std::initializer_list<BootInfo::Region> regions)
{
    BootInfo info;
    for (const BootInfo::Region& region : regions)
        info.regions[info.region_count++] = region;
    return info;
}

} // namespace

UNIT_TEST(memory_map_excludes_low_memory_image_modules_and_reserved_regions)
{
    BootInfo info = memory_map({{0, 0x9FC00, 1}, {0xF0000, 0x10000, 2}, {0x100000, 15 * MIB, 1}, {0x800000, 0x1800, 2}});
    info.modules[0] = {0x400000, 0x402001, "initrd"}; /* ends inside its third page */
    info.module_count = 1;
    Bitmap b(available_memory_end(info, 4096 * MIB) / PAGE_SIZE);
    CHECK_EQ(b.bitmap.frame_count(), size_t(16 * MIB / PAGE_SIZE));
    uint64_t ignored = add_available_memory(b.bitmap, info, PhysicalRange{0x100000, 0x180000});
    CHECK_EQ(ignored, uint64_t(0));
    size_t expected = (15 * MIB - 0x80000) / PAGE_SIZE - 3 - 2; /* image, module, reserved */
    CHECK_EQ(b.bitmap.usable_count(), expected);
    CHECK(!b.bitmap.is_usable(0x9F));       /* low memory, although available */
    CHECK(!b.bitmap.is_usable(0x17F));      /* the image's last page */
    CHECK(b.bitmap.is_usable(0x180));       /* the first page after it */
    CHECK(!b.bitmap.is_usable(0x402));      /* the module's partial last page */
    CHECK(b.bitmap.is_usable(0x403));
    CHECK(!b.bitmap.is_usable(0x801));      /* the reserved region's partial second page */
    CHECK(b.bitmap.is_usable(0x802));
}

UNIT_TEST(memory_map_rounds_available_regions_inwards)
{
    BootInfo info = memory_map({{0x200800, 0x3000, 1}}); /* whole pages: 0x201000, 0x202000 */
    Bitmap b(available_memory_end(info, 4096 * MIB) / PAGE_SIZE + 1);
    (void)add_available_memory(b.bitmap, info, PhysicalRange{0x100000, 0x101000});
    CHECK_EQ(b.bitmap.usable_count(), size_t(2));
    CHECK(b.bitmap.is_usable(0x201) && b.bitmap.is_usable(0x202) && !b.bitmap.is_usable(0x203));
}

UNIT_TEST(memory_map_reserved_region_wins_over_an_overlapping_available_one)
{
    BootInfo info = memory_map({{0x200000, 0x10000, 2}, {0x100000, 0x200000, 1}});
    Bitmap b(available_memory_end(info, 4096 * MIB) / PAGE_SIZE);
    (void)add_available_memory(b.bitmap, info, PhysicalRange{0x100000, 0x101000});
    CHECK(!b.bitmap.is_usable(0x200) && !b.bitmap.is_usable(0x20F) && b.bitmap.is_usable(0x210));
}

UNIT_TEST(memory_map_reports_available_memory_above_the_direct_map)
{
    BootInfo info = memory_map({{0x100000, 0xBFF00000, 1}, {0x100000000, 512 * MIB, 1}, {0xFFF00000, 0x200000, 1}});
    uint64_t end = available_memory_end(info, 4096 * MIB);
    CHECK_EQ(end, uint64_t(4096 * MIB));
    Bitmap b(end / PAGE_SIZE);
    uint64_t ignored = add_available_memory(b.bitmap, info, PhysicalRange{0x100000, 0x101000});
    CHECK_EQ(ignored, uint64_t(512 * MIB + MIB)); /* the region above, and the half of the one that straddles 4 GiB */
    CHECK(b.bitmap.is_usable(end / PAGE_SIZE - 1));
}
