/* kernel/boot/multiboot.cpp against hand-made Multiboot information in a buffer
 * that stands for physical memory. */
#include "boot/multiboot.h"
#include "unit_test.h"

#include <cstring>
#include <vector>

namespace {

/* 64 KiB of fake physical memory starting at address 0. */
std::vector<uint8_t> memory(65536);

const void* access(uint64_t address, size_t length)
{
    if (address + length > memory.size() || address + length < address)
        return nullptr;
    return memory.data() + address;
}

template <typename T> void put(uint64_t address, const T& value) { std::memcpy(&memory[address], &value, sizeof(T)); }
void put_string(uint64_t address, const char* text) { std::memcpy(&memory[address], text, std::strlen(text) + 1); }

constexpr uint64_t INFO = 0x1000, CMDLINE = 0x2000, NAME = 0x2100, MMAP = 0x3000, MODS = 0x4000, MODNAME = 0x4100;

multiboot::Info base_info()
{
    std::fill(memory.begin(), memory.end(), 0);
    multiboot::Info info{};
    info.flags = multiboot::INFO_MEMORY | multiboot::INFO_CMDLINE | multiboot::INFO_BOOTLOADER_NAME;
    info.mem_lower = 639;
    info.mem_upper = 130048;
    info.cmdline = CMDLINE;
    info.boot_loader_name = NAME;
    put_string(CMDLINE, "kernel test=boot");
    put_string(NAME, "GRUB 2.06");
    return info;
}

void put_mmap(multiboot::Info& info, int entries)
{
    for (int i = 0; i < entries; ++i)
        put(MMAP + i * 24, multiboot::MemoryMapEntry{20, uint64_t(i) * 0x100000, 0x100000, uint32_t(i % 2 ? 2 : 1)});
    info.flags |= multiboot::INFO_MEMORY_MAP;
    info.mmap_addr = MMAP;
    info.mmap_length = entries * 24;
}

} // namespace

UNIT_TEST(multiboot_rejects_wrong_magic)
{
    multiboot::Info info = base_info();
    put(INFO, info);
    BootInfo out;
    CHECK_EQ(parse_multiboot(0x12345678, INFO, access, out), MultibootError::bad_magic);
}

UNIT_TEST(multiboot_reads_memory_cmdline_and_loader_name)
{
    multiboot::Info info = base_info();
    put(INFO, info);
    BootInfo out;
    CHECK_EQ(parse_multiboot(multiboot::BOOTLOADER_MAGIC, INFO, access, out), MultibootError::none);
    CHECK_EQ(out.mem_upper_kib, 130048u);
    CHECK_EQ(std::string(out.cmdline), std::string("kernel test=boot"));
    CHECK_EQ(std::string(out.bootloader_name), std::string("GRUB 2.06"));
    CHECK_EQ(out.region_count, size_t(0));
}

UNIT_TEST(multiboot_walks_memory_map_by_entry_size)
{
    multiboot::Info info = base_info();
    put_mmap(info, 3);
    put(INFO, info);
    BootInfo out;
    CHECK_EQ(parse_multiboot(multiboot::BOOTLOADER_MAGIC, INFO, access, out), MultibootError::none);
    CHECK_EQ(out.region_count, size_t(3));
    CHECK_EQ(out.regions[2].base, uint64_t(0x200000));
    CHECK_EQ(out.regions[1].type, 2u);
}

UNIT_TEST(multiboot_truncates_long_memory_map)
{
    multiboot::Info info = base_info();
    put_mmap(info, BootInfo::MAX_REGIONS + 5);
    put(INFO, info);
    BootInfo out;
    CHECK_EQ(parse_multiboot(multiboot::BOOTLOADER_MAGIC, INFO, access, out), MultibootError::none);
    CHECK_EQ(out.region_count, BootInfo::MAX_REGIONS);
    CHECK(out.regions_truncated);
}

UNIT_TEST(multiboot_rejects_corrupt_memory_map_entry)
{
    multiboot::Info info = base_info();
    put_mmap(info, 2);
    put(MMAP, multiboot::MemoryMapEntry{0, 0, 0, 1}); /* size 0 would loop forever */
    put(INFO, info);
    BootInfo out;
    CHECK_EQ(parse_multiboot(multiboot::BOOTLOADER_MAGIC, INFO, access, out), MultibootError::mmap_unreadable);
}

UNIT_TEST(multiboot_rejects_unreadable_info_and_map)
{
    multiboot::Info info = base_info();
    BootInfo out;
    CHECK_EQ(parse_multiboot(multiboot::BOOTLOADER_MAGIC, 0xFFFFFFF0, access, out), MultibootError::info_unreadable);
    put_mmap(info, 1);
    info.mmap_addr = 0xFFFF0;
    put(INFO, info);
    BootInfo out2;
    CHECK_EQ(parse_multiboot(multiboot::BOOTLOADER_MAGIC, INFO, access, out2), MultibootError::mmap_unreadable);
}

UNIT_TEST(multiboot_reads_modules_with_names)
{
    multiboot::Info info = base_info();
    info.flags |= multiboot::INFO_MODULES;
    info.mods_count = 1;
    info.mods_addr = MODS;
    put(MODS, multiboot::Module{0x8000, 0x9000, uint32_t(MODNAME), 0});
    put_string(MODNAME, "initrd.cpio");
    put(INFO, info);
    BootInfo out;
    CHECK_EQ(parse_multiboot(multiboot::BOOTLOADER_MAGIC, INFO, access, out), MultibootError::none);
    CHECK_EQ(out.module_count, size_t(1));
    CHECK_EQ(out.modules[0].end, uint64_t(0x9000));
    CHECK_EQ(std::string(out.modules[0].name), std::string("initrd.cpio"));
}

UNIT_TEST(multiboot_rejects_module_ending_before_start)
{
    multiboot::Info info = base_info();
    info.flags |= multiboot::INFO_MODULES;
    info.mods_count = 1;
    info.mods_addr = MODS;
    put(MODS, multiboot::Module{0x9000, 0x8000, 0, 0});
    put(INFO, info);
    BootInfo out;
    CHECK_EQ(parse_multiboot(multiboot::BOOTLOADER_MAGIC, INFO, access, out), MultibootError::modules_unreadable);
}
