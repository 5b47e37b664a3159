/* The test guests (guests/, docs/test-guests.md) as the hypervisor's Multiboot
 * loader sees them: every built guest plans as an ELF32 kernel at 1 MiB and loads
 * into a small guest RAM, with the entry state the Multiboot specification gives. */
#include "hypervisor/guest_loader/multiboot_loader.h"
#include "unit_test.h"
#include "vector_guest_ram.h"

#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

using namespace guest_loader;

namespace {

constexpr uint64_t GUEST_RAM = 16ull << 20;

std::vector<std::vector<uint8_t>> built_guests(std::vector<std::string>& names)
{
    std::vector<std::vector<uint8_t>> images;
    for (const auto& entry : std::filesystem::directory_iterator(GUEST_DIR)) {
        if (!entry.is_regular_file())
            continue;
        std::ifstream file(entry.path(), std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        if (bytes.size() < 4 || std::memcmp(bytes.data(), "\x7f" "ELF", 4) != 0)
            continue; /* CMake's files beside the guests */
        names.push_back(entry.path().filename());
        images.push_back(std::move(bytes));
    }
    return images;
}

} // namespace

UNIT_TEST(test_guests_load_as_elf32_multiboot_kernels_at_1mib)
{
    std::vector<std::string> names;
    auto images = built_guests(names);
    CHECK(images.size() >= 8);
    for (size_t i = 0; i < images.size(); ++i) {
        VectorRam ram(GUEST_RAM);
        uint8_t scratch[4096];
        GuestBootConfig config;
        config.ram_size = GUEST_RAM;
        config.cmdline = names[i].c_str();
        config.scratch = scratch;
        config.scratch_size = sizeof(scratch);
        LoadResult result;
        LoaderError error = load_multiboot_kernel(images[i].data(), images[i].size(), config, ram, result);
        CHECK_EQ(std::string(loader_error_text(error)) + " " + names[i],
                 std::string(loader_error_text(LoaderError::none)) + " " + names[i]);
        CHECK(result.plan.format == KernelFormat::elf32);
        CHECK_EQ(result.plan.image_start, 0x100000u);
        CHECK(result.plan.entry >= result.plan.image_start && result.plan.entry < result.plan.image_end);
        CHECK_EQ(result.entry.eax, 0x2BADB002u);
        /* The Multiboot header lies at the start of the loaded text. */
        uint32_t magic;
        std::memcpy(&magic, ram.bytes.data() + 0x100000, 4);
        CHECK_EQ(magic, 0x1BADB002u);
    }
}
