/* hypervisor/guest_loader/: loading our own kernel.elf, hand-made flat and ELF32 images,
 * and images the loader must refuse, into guest RAM held in a std::vector. The
 * kernel's own Multiboot parser reads back the information the loader built. */
#include "hypervisor/guest_loader/multiboot_loader.h"
#include "boot/multiboot.h"
#include "unit_test.h"
#include "vector_guest_ram.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

using namespace guest_loader;

namespace {

constexpr uint64_t MIB = 1024 * 1024;

VectorRam* current_ram = nullptr;
const void* read_guest(uint64_t address, size_t length)
{
    if (address + length > current_ram->bytes.size())
        return nullptr;
    return current_ram->bytes.data() + address;
}

void put32(std::vector<uint8_t>& file, size_t offset, uint32_t value)
{
    if (file.size() < offset + 4)
        file.resize(offset + 4);
    for (int i = 0; i < 4; ++i)
        file[offset + i] = uint8_t(value >> (8 * i));
}
void put16(std::vector<uint8_t>& file, size_t offset, uint16_t value)
{
    file[offset] = uint8_t(value);
    file[offset + 1] = uint8_t(value >> 8);
}

void put_header(std::vector<uint8_t>& file, size_t offset, uint32_t flags, uint32_t checksum_error = 0)
{
    put32(file, offset, multiboot::HEADER_MAGIC);
    put32(file, offset + 4, flags);
    put32(file, offset + 8, uint32_t(-(multiboot::HEADER_MAGIC + flags)) + checksum_error);
}

/* A flat image loaded at `load_addr`: its header at file offset `header_offset`,
 * `size` bytes of file, bss up to `bss_end`, entry 16 bytes after the header. */
struct Flat {
    uint32_t load_addr = 0x200000;
    size_t header_offset = 0x40;
    size_t size = 0x3000;
    uint32_t load_end = 0; /* 0: the whole file */
    uint32_t bss_end = 0x200000 + 0x5000;
    int32_t entry_delta = 0x60;

    std::vector<uint8_t> build() const
    {
        std::vector<uint8_t> file(size);
        for (size_t i = 0; i < size; ++i)
            file[i] = uint8_t(i * 7 + 1);
        put_header(file, header_offset, multiboot::HEADER_PAGE_ALIGN | multiboot::HEADER_MEMORY_INFO | multiboot::HEADER_ADDRESS);
        put32(file, header_offset + 12, load_addr + uint32_t(header_offset));
        put32(file, header_offset + 16, load_addr);
        put32(file, header_offset + 20, load_end);
        put32(file, header_offset + 24, bss_end);
        put32(file, header_offset + 28, load_addr + entry_delta);
        file.resize(size);
        return file;
    }
};

/* An ELF32 executable, two PT_LOAD segments linked high (vaddr 0xC0100000) and
 * loaded low (paddr 0x100000): text from the file, data with a bss tail. */
std::vector<uint8_t> elf32_image(uint16_t machine = 3)
{
    std::vector<uint8_t> file(0x3000, 0);
    const uint8_t ident[] = {0x7F, 'E', 'L', 'F', 1, 1, 1};
    std::memcpy(file.data(), ident, sizeof(ident));
    put16(file, 16, 2);       /* ET_EXEC */
    put16(file, 18, machine); /* EM_386 */
    put32(file, 20, 1);
    put32(file, 24, 0xC0100010); /* e_entry (virtual) */
    put32(file, 28, 52);         /* e_phoff */
    put16(file, 40, 52);
    put16(file, 42, 32);
    put16(file, 44, 2);
    auto phdr = [&](size_t at, uint32_t offset, uint32_t vaddr, uint32_t paddr, uint32_t filesz, uint32_t memsz) {
        put32(file, at, 1);
        put32(file, at + 4, offset);
        put32(file, at + 8, vaddr);
        put32(file, at + 12, paddr);
        put32(file, at + 16, filesz);
        put32(file, at + 20, memsz);
    };
    phdr(52, 0x1000, 0xC0100000, 0x100000, 0x1000, 0x1000);
    phdr(84, 0x2000, 0xC0101000, 0x101000, 0x800, 0x2000);
    put_header(file, 0x1000, multiboot::HEADER_PAGE_ALIGN); /* header in the text segment, no address fields */
    file[0x1010] = 0xF4;                                      /* hlt at the entry */
    file[0x2000] = 0xDA;
    return file;
}

std::vector<uint8_t> kernel_elf()
{
    const char* path = std::getenv("MATRYOSHKA_KERNEL_ELF");
    std::ifstream in(path ? path : MATRYOSHKA_KERNEL_ELF_DEFAULT, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

/* build/kernel.x: our kernel in SWEB's form (guests/sweb_form/sweb_entry.S). */
std::vector<uint8_t> kernel_x()
{
    const char* path = std::getenv("MATRYOSHKA_KERNEL_X");
    std::ifstream in(path ? path : MATRYOSHKA_KERNEL_X_DEFAULT, std::ios::binary);
    return std::vector<uint8_t>(std::istreambuf_iterator<char>(in), {});
}

LoaderError plan(const std::vector<uint8_t>& file, uint64_t ram = 16 * MIB)
{
    LoadPlan p;
    return plan_kernel(file.data(), file.size(), ram, p);
}

struct Loaded {
    VectorRam ram{64 * MIB};
    std::vector<uint8_t> scratch = std::vector<uint8_t>(4096);
    LoadResult result;
    LoaderError error = LoaderError::none;

    Loaded(const std::vector<uint8_t>& file, const char* cmdline, std::vector<GuestModule> modules = {})
    {
        GuestBootConfig config;
        config.ram_size = ram.bytes.size();
        config.cmdline = cmdline;
        config.modules = modules.data();
        config.module_count = modules.size();
        config.scratch = scratch.data();
        config.scratch_size = scratch.size();
        error = load_multiboot_kernel(file.data(), file.size(), config, ram, result);
    }
};

} // namespace

UNIT_TEST(multiboot_loader_loads_our_own_kernel_elf_by_its_address_fields)
{
    std::vector<uint8_t> file = kernel_elf();
    CHECK(file.size() > 4096);
    const char initrd[] = "initrd bytes";
    Loaded l(file, "test=boot", {{reinterpret_cast<const uint8_t*>(initrd), sizeof(initrd), "/boot/initrd"}});
    CHECK_EQ(l.error, LoaderError::none);
    const LoadPlan& p = l.result.plan;
    CHECK(p.format == KernelFormat::multiboot_address_fields);
    CHECK_EQ(p.image_start, 0x100000u);
    CHECK(p.entry >= 0x100000 && p.entry < 0x101000);
    /* boot_entry32 begins with cli; cld (kernel/arch/x86_64/boot/boot.S). */
    CHECK_EQ(int(l.ram.bytes[p.entry]), 0xFA);
    CHECK_EQ(int(l.ram.bytes[p.entry + 1]), 0xFC);
    const LoadSegment& s = p.segments[0];
    CHECK(std::memcmp(l.ram.bytes.data() + s.guest_physical, file.data() + s.file_offset, s.file_size) == 0);
    for (uint32_t a = s.guest_physical + uint32_t(s.file_size); a < p.image_end; ++a) {
        if (l.ram.bytes[a] != 0) {
            CHECK(!"bss zeroed");
            break;
        }
    }
    CHECK_EQ(l.result.entry.eax, multiboot::BOOTLOADER_MAGIC);
    CHECK_EQ(l.result.entry.ebx, DEFAULT_INFO_ADDRESS);
    CHECK_EQ(l.result.entry.eip, p.entry);
}

UNIT_TEST(multiboot_loader_information_reads_back_through_the_kernels_parser)
{
    const char initrd[] = "initrd bytes";
    Loaded l(kernel_elf(), "test=boot quiet", {{reinterpret_cast<const uint8_t*>(initrd), sizeof(initrd), "/boot/initrd"}});
    CHECK_EQ(l.error, LoaderError::none);
    current_ram = &l.ram;
    BootInfo info;
    CHECK_EQ(parse_multiboot(l.result.entry.eax, l.result.entry.ebx, read_guest, info), MultibootError::none);
    CHECK_EQ(std::string(info.cmdline), std::string("test=boot quiet"));
    CHECK_EQ(std::string(info.bootloader_name), std::string("Matryoshka"));
    CHECK_EQ(info.mem_lower_kib, 639u);
    CHECK_EQ(info.mem_upper_kib, 63u * 1024);
    CHECK_EQ(info.region_count, size_t(3));
    CHECK_EQ(info.regions[1].base, uint64_t(0x9FC00));
    CHECK_EQ(info.regions[1].base + info.regions[1].length, uint64_t(0x100000));
    CHECK_EQ(info.regions[1].type, 2u);
    CHECK_EQ(info.regions[2].base + info.regions[2].length, uint64_t(64 * MIB));
    CHECK_EQ(info.module_count, size_t(1));
    CHECK_EQ(std::string(info.modules[0].name), std::string("/boot/initrd"));
    CHECK_EQ(info.modules[0].start % 4096, uint64_t(0));
    CHECK(info.modules[0].start >= l.result.plan.image_end);
    CHECK_EQ(info.modules[0].end - info.modules[0].start, uint64_t(sizeof(initrd)));
    CHECK(std::memcmp(l.ram.bytes.data() + info.modules[0].start, initrd, sizeof(initrd)) == 0);
}

UNIT_TEST(multiboot_loader_entry_state_is_flat_protected_mode_without_paging)
{
    MultibootEntryState s;
    CHECK_EQ(s.cr0 & 1u, 1u);                   /* PE */
    CHECK_EQ(s.cr0 & 0x80000000u, 0u);          /* PG */
    CHECK_EQ(s.eflags, 0x2u);                   /* IF clear */
    CHECK_EQ(s.cs.limit, 0xFFFFFFFFu);
    CHECK_EQ(int(s.cs.attributes), 0xC09B);     /* 32-bit code, present, 4 KiB granular */
    CHECK_EQ(int(s.ss.attributes), 0xC093);
    CHECK(s.a20_enabled);
}

UNIT_TEST(multiboot_loader_flat_image_with_address_fields)
{
    Flat flat;
    std::vector<uint8_t> file = flat.build();
    Loaded l(file, "");
    CHECK_EQ(l.error, LoaderError::none);
    CHECK_EQ(l.result.plan.entry, 0x200060u);
    CHECK_EQ(l.result.plan.image_end, 0x205000u);
    CHECK(std::memcmp(l.ram.bytes.data() + 0x200000, file.data(), file.size()) == 0);
    CHECK_EQ(int(l.ram.bytes[0x203000]), 0);     /* bss */
    CHECK_EQ(int(l.ram.bytes[0x204FFF]), 0);
    CHECK_EQ(int(l.ram.bytes[0x205000]), 0xCC);  /* beyond the image: untouched */
}

UNIT_TEST(multiboot_loader_flat_image_load_starting_after_file_start)
{
    /* load_addr maps to file offset 0x1000 (the header's offset minus its distance). */
    Flat flat;
    flat.header_offset = 0x1040;
    std::vector<uint8_t> file = flat.build();
    put32(file, 0x1040 + 12, 0x200040);
    LoadPlan p;
    CHECK_EQ(plan_kernel(file.data(), file.size(), 16 * MIB, p), LoaderError::none);
    CHECK_EQ(p.segments[0].file_offset, uint64_t(0x1000));
    CHECK_EQ(p.segments[0].file_size, uint64_t(0x2000));
}

UNIT_TEST(multiboot_loader_elf32_loads_segments_by_physical_address)
{
    std::vector<uint8_t> file = elf32_image();
    Loaded l(file, "");
    CHECK_EQ(l.error, LoaderError::none);
    const LoadPlan& p = l.result.plan;
    CHECK(p.format == KernelFormat::elf32);
    CHECK_EQ(p.segment_count, size_t(2));
    CHECK_EQ(p.entry, 0x100010u); /* virtual 0xC0100010 through the first segment */
    CHECK_EQ(p.image_start, 0x100000u);
    CHECK_EQ(p.image_end, 0x103000u);
    CHECK_EQ(int(l.ram.bytes[0x100010]), 0xF4);
    CHECK_EQ(int(l.ram.bytes[0x101000]), 0xDA);
    CHECK_EQ(int(l.ram.bytes[0x101800]), 0); /* the data segment's bss tail */
    CHECK_EQ(int(l.ram.bytes[0x102FFF]), 0);
}

UNIT_TEST(multiboot_loader_reports_video_mode_request)
{
    std::vector<uint8_t> file = Flat{}.build();
    uint32_t flags = multiboot::HEADER_ADDRESS | multiboot::HEADER_VIDEO_MODE;
    put_header(file, 0x40, flags);
    LoadPlan p;
    CHECK_EQ(plan_kernel(file.data(), file.size(), 16 * MIB, p), LoaderError::none);
    CHECK(p.video_mode_requested);
    put_header(file, 0x40, multiboot::HEADER_ADDRESS);
    CHECK_EQ(plan_kernel(file.data(), file.size(), 16 * MIB, p), LoaderError::none);
    CHECK(!p.video_mode_requested);
}

/* Issue #14: a kernel with header flags 0x7 (SWEB's) is given the text screen
 * as an EGA text framebuffer (information flag 12, type 2); one without flag 2
 * gets no framebuffer fields at all. */
UNIT_TEST(multiboot_loader_answers_video_mode_with_ega_text_framebuffer)
{
    for (bool asks : {true, false}) {
        std::vector<uint8_t> file = Flat{}.build();
        uint32_t flags = multiboot::HEADER_PAGE_ALIGN | multiboot::HEADER_MEMORY_INFO | multiboot::HEADER_ADDRESS |
                         (asks ? multiboot::HEADER_VIDEO_MODE : 0);
        put_header(file, 0x40, flags);
        Loaded l(file, "");
        CHECK_EQ(l.error, LoaderError::none);
        multiboot::Info info;
        std::memcpy(&info, l.ram.bytes.data() + l.result.entry.ebx, sizeof(info));
        CHECK_EQ((info.flags & multiboot::INFO_FRAMEBUFFER) != 0, asks);
        CHECK_EQ(info.flags & ~uint32_t(0x124D), 0u); /* memory, cmdline, modules, map, name, framebuffer */
        if (!asks) {
            CHECK_EQ(info.framebuffer_addr, uint64_t(0));
            continue;
        }
        CHECK_EQ(info.framebuffer_addr, uint64_t(0xB8000));
        CHECK_EQ(info.framebuffer_pitch, 160u);
        CHECK_EQ(info.framebuffer_width, 80u);
        CHECK_EQ(info.framebuffer_height, 25u);
        CHECK_EQ(int(info.framebuffer_bpp), 16);
        CHECK_EQ(int(info.framebuffer_type), 2);
        /* Byte offsets of the specification's table (section 3.3). */
        const uint8_t* raw = l.ram.bytes.data() + l.result.entry.ebx;
        CHECK_EQ(raw[88] | raw[89] << 8 | raw[90] << 16, 0xB8000);
        CHECK_EQ(int(raw[96]), 160);
        CHECK_EQ(int(raw[108]), 16);
        CHECK_EQ(int(raw[109]), 2);
    }
}

/* Issue #14: SWEB's C entry pushes before it loads its own stack. The loader
 * enters with ESP in low RAM that it wrote nothing to, and GDTR naming a GDT in
 * guest RAM whose descriptors match the entry selectors. */
UNIT_TEST(multiboot_loader_enters_with_usable_stack_and_gdt)
{
    Loaded l(Flat{}.build(), "");
    CHECK_EQ(l.error, LoaderError::none);
    const MultibootEntryState& s = l.result.entry;
    CHECK_EQ(s.esp, 0x7000u);
    CHECK(s.esp < 0x7C00); /* below where a BIOS loads a boot sector */
    CHECK(s.esp % 16 == 0);
    for (uint32_t a = ENTRY_STACK_BOTTOM; a < ENTRY_STACK_TOP; ++a) {
        if (l.ram.bytes[a] != 0xCC) { /* VectorRam's fill: nothing written there */
            CHECK(!"the loader wrote into the entry stack");
            break;
        }
    }
    CHECK(s.ebx >= ENTRY_GDT_END || s.ebx + l.result.info_size <= ENTRY_STACK_BOTTOM);
    CHECK_EQ(s.gdtr_base, 0x7000u);
    CHECK_EQ(int(s.gdtr_limit), 23);
    uint64_t gdt[3];
    std::memcpy(gdt, l.ram.bytes.data() + s.gdtr_base, sizeof(gdt));
    CHECK_EQ(gdt[0], uint64_t(0));
    /* Descriptor = base/limit split around the attributes of the entry state. */
    auto attributes = [](uint64_t d) { return int((d >> 40) & 0xF0FF); };
    CHECK_EQ(attributes(gdt[s.cs.selector / 8]), int(s.cs.attributes));
    CHECK_EQ(attributes(gdt[s.ds.selector / 8]), int(s.ds.attributes));
    CHECK_EQ(attributes(gdt[s.ss.selector / 8]), int(s.ss.attributes));
    CHECK_EQ(gdt[1] & 0xFFFF, uint64_t(0xFFFF)); /* limit 0xFFFFF pages: 4 GiB */
    CHECK_EQ(int(s.idtr_limit), 0x3FF);
    CHECK_EQ(s.eax, 0x2BADB002u);
    CHECK_EQ(s.eflags, 0x2u);
    CHECK_EQ(s.cr0, 0x11u);
}

/* Issue #14: kernel.x, an ELF32 container of the higher-half kernel with flags
 * 0x7, loads by its program headers at 1 MiB; its entry is the pushing prologue;
 * it is given the text framebuffer it asked for and a stack to push onto. */
UNIT_TEST(multiboot_loader_loads_the_sweb_form_kernel_x)
{
    std::vector<uint8_t> file = kernel_x();
    CHECK(file.size() > 4096);
    CHECK_EQ(int(file[4]), 1); /* ELFCLASS32 */
    Loaded l(file, "");
    CHECK_EQ(l.error, LoaderError::none);
    const LoadPlan& p = l.result.plan;
    CHECK(p.format == KernelFormat::elf32);
    CHECK_EQ(p.header_flags, 0x7u);
    CHECK(p.video_mode_requested);
    CHECK_EQ(p.image_start, 0x100000u);
    /* push %ebp; mov %esp, %ebp; push %ebx; push %eax */
    const uint8_t prologue[] = {0x55, 0x89, 0xE5, 0x53, 0x50};
    CHECK(std::memcmp(l.ram.bytes.data() + p.entry, prologue, sizeof(prologue)) == 0);
    CHECK(l.result.entry.esp >= ENTRY_STACK_BOTTOM + 16 && l.result.entry.esp <= ENTRY_STACK_TOP);
    multiboot::Info info;
    std::memcpy(&info, l.ram.bytes.data() + l.result.entry.ebx, sizeof(info));
    CHECK(info.flags & multiboot::INFO_FRAMEBUFFER);
    CHECK_EQ(int(info.framebuffer_type), int(multiboot::FRAMEBUFFER_EGA_TEXT));
}

UNIT_TEST(multiboot_loader_rejects_information_over_the_entry_stack_or_gdt)
{
    std::vector<uint8_t> file = Flat{}.build();
    VectorRam ram(16 * MIB);
    std::vector<uint8_t> scratch(4096);
    GuestBootConfig config;
    config.ram_size = 16 * MIB;
    config.scratch = scratch.data();
    config.scratch_size = scratch.size();
    LoadResult result;
    for (uint32_t address : {0x6000u, 0x7000u, 0x0F80u}) {
        config.info_address = address;
        CHECK_EQ(load_multiboot_kernel(file.data(), file.size(), config, ram, result), LoaderError::info_misplaced);
    }
    config.info_address = 0x8000;
    CHECK_EQ(load_multiboot_kernel(file.data(), file.size(), config, ram, result), LoaderError::none);
}

UNIT_TEST(multiboot_loader_rejects_missing_header)
{
    std::vector<uint8_t> file(0x4000, 0x90);
    CHECK_EQ(plan(file), LoaderError::no_header);
}

UNIT_TEST(multiboot_loader_rejects_header_beyond_8k)
{
    Flat flat;
    flat.header_offset = 8192;
    flat.size = 0x4000;
    CHECK_EQ(plan(flat.build()), LoaderError::no_header);
    flat.header_offset = 8192 - 12; /* the last place it may start */
    CHECK(plan(flat.build()) != LoaderError::no_header);
}

UNIT_TEST(multiboot_loader_rejects_misaligned_header)
{
    std::vector<uint8_t> file(0x2000, 0);
    put_header(file, 0x42, multiboot::HEADER_ADDRESS);
    CHECK_EQ(plan(file), LoaderError::no_header);
}

UNIT_TEST(multiboot_loader_rejects_bad_checksum)
{
    std::vector<uint8_t> file = Flat{}.build();
    put_header(file, 0x40, multiboot::HEADER_ADDRESS, 1);
    CHECK_EQ(plan(file), LoaderError::bad_checksum);
}

UNIT_TEST(multiboot_loader_rejects_unknown_required_flags)
{
    std::vector<uint8_t> file = Flat{}.build();
    put_header(file, 0x40, multiboot::HEADER_ADDRESS | (1u << 5));
    CHECK_EQ(plan(file), LoaderError::unsupported_flags);
}

UNIT_TEST(multiboot_loader_rejects_load_end_before_load_addr)
{
    Flat flat;
    flat.load_end = flat.load_addr - 0x1000;
    CHECK_EQ(plan(flat.build()), LoaderError::load_end_before_load_start);
}

UNIT_TEST(multiboot_loader_rejects_bss_end_before_load_end)
{
    Flat flat;
    flat.bss_end = flat.load_addr + 0x1000; /* the file loads 0x3000 bytes */
    CHECK_EQ(plan(flat.build()), LoaderError::bss_end_before_load_end);
}

UNIT_TEST(multiboot_loader_rejects_entry_outside_image)
{
    Flat flat;
    flat.entry_delta = 0x5000; /* exactly bss_end */
    CHECK_EQ(plan(flat.build()), LoaderError::entry_outside_image);
    flat.entry_delta = -4;
    CHECK_EQ(plan(flat.build()), LoaderError::entry_outside_image);
}

UNIT_TEST(multiboot_loader_rejects_header_addr_before_load_addr)
{
    std::vector<uint8_t> file = Flat{}.build();
    put32(file, 0x40 + 12, 0x100000);
    CHECK_EQ(plan(file), LoaderError::header_address_invalid);
}

UNIT_TEST(multiboot_loader_rejects_truncated_file)
{
    Flat flat;
    flat.load_end = flat.load_addr + 0x4000; /* the file has 0x3000 bytes */
    flat.bss_end = flat.load_addr + 0x5000;
    CHECK_EQ(plan(flat.build()), LoaderError::truncated);
    std::vector<uint8_t> elf = elf32_image();
    elf.resize(0x2400); /* the data segment's file bytes end at 0x2800 */
    CHECK_EQ(plan(elf), LoaderError::truncated);
}

UNIT_TEST(multiboot_loader_rejects_image_larger_than_guest_ram)
{
    Flat flat;
    flat.bss_end = 0x200000 + 15 * MIB;
    CHECK_EQ(plan(flat.build(), 16 * MIB), LoaderError::kernel_too_large);
    CHECK_EQ(plan(flat.build(), 18 * MIB), LoaderError::none);
}

UNIT_TEST(multiboot_loader_rejects_image_below_1mib)
{
    Flat flat;
    flat.load_addr = 0x8000;
    flat.bss_end = 0x8000 + 0x5000;
    CHECK_EQ(plan(flat.build()), LoaderError::below_1mib);
}

UNIT_TEST(multiboot_loader_rejects_absurd_memory_sizes)
{
    std::vector<uint8_t> file = Flat{}.build();
    CHECK_EQ(plan(file, 1 * MIB), LoaderError::absurd_memory_size);
    CHECK_EQ(plan(file, 16 * MIB + 100), LoaderError::absurd_memory_size);
    CHECK_EQ(plan(file, 4096 * MIB), LoaderError::absurd_memory_size);
}

UNIT_TEST(multiboot_loader_rejects_elf64_without_address_fields)
{
    std::vector<uint8_t> file(0x2000, 0);
    const uint8_t ident[] = {0x7F, 'E', 'L', 'F', 2, 1, 1};
    std::memcpy(file.data(), ident, sizeof(ident));
    put_header(file, 0x1000, multiboot::HEADER_PAGE_ALIGN);
    CHECK_EQ(plan(file), LoaderError::elf64_without_address_fields);
}

UNIT_TEST(multiboot_loader_rejects_non_elf_without_address_fields)
{
    std::vector<uint8_t> file(0x2000, 0);
    put_header(file, 0x100, multiboot::HEADER_PAGE_ALIGN);
    CHECK_EQ(plan(file), LoaderError::not_loadable);
}

UNIT_TEST(multiboot_loader_rejects_elf32_for_another_machine)
{
    CHECK_EQ(plan(elf32_image(40 /* EM_ARM */)), LoaderError::elf_not_executable);
}

UNIT_TEST(multiboot_loader_rejects_modules_that_do_not_fit)
{
    std::vector<uint8_t> big(64 * MIB);
    Loaded l(Flat{}.build(), "", {{big.data(), big.size(), "big"}});
    CHECK_EQ(l.error, LoaderError::modules_do_not_fit);
    CHECK_EQ(l.ram.writes, 0); /* nothing written when a check fails */
}

UNIT_TEST(multiboot_loader_rejects_information_larger_than_its_buffer)
{
    std::vector<uint8_t> file = Flat{}.build();
    VectorRam ram(16 * MIB);
    uint8_t scratch[64];
    GuestBootConfig config;
    config.ram_size = 16 * MIB;
    config.scratch = scratch;
    config.scratch_size = sizeof(scratch);
    LoadResult result;
    CHECK_EQ(load_multiboot_kernel(file.data(), file.size(), config, ram, result), LoaderError::info_too_large);
}

UNIT_TEST(multiboot_loader_rejects_information_over_the_kernel)
{
    std::vector<uint8_t> file = Flat{}.build();
    VectorRam ram(16 * MIB);
    std::vector<uint8_t> scratch(4096);
    GuestBootConfig config;
    config.ram_size = 16 * MIB;
    config.scratch = scratch.data();
    config.scratch_size = scratch.size();
    config.info_address = 0x201000;
    LoadResult result;
    CHECK_EQ(load_multiboot_kernel(file.data(), file.size(), config, ram, result), LoaderError::info_misplaced);
    config.info_address = 0x9FB80; /* its ~180 bytes run into the reserved hole at 0x9FC00 */
    CHECK_EQ(load_multiboot_kernel(file.data(), file.size(), config, ram, result), LoaderError::info_misplaced);
    config.info_address = 0x400000;
    CHECK_EQ(load_multiboot_kernel(file.data(), file.size(), config, ram, result), LoaderError::none);
    CHECK_EQ(result.entry.ebx, 0x400000u);
}

UNIT_TEST(multiboot_loader_every_error_has_a_text)
{
    for (int e = 0; e <= int(LoaderError::write_failed); ++e)
        CHECK(std::string(loader_error_text(LoaderError(e))) != "?");
}

UNIT_TEST(multiboot_loader_check_load_gives_the_vm_layer_errno_and_sentence)
{
    Failure fine;
    CHECK(!check_load(LoaderError::none, "/boot/kernel", fine).is_error());
    CHECK_EQ(fine.errno_value, 0);

    Failure refused;
    CHECK_EQ(check_load(LoaderError::no_header, "/guests/x", refused).error(), EINVAL);
    CHECK(__builtin_strcmp(refused.text, "/guests/x: no Multiboot header in the first 8 KiB") == 0);

    Failure write;
    CHECK_EQ(check_load(LoaderError::write_failed, "/guests/x", write).error(), ENOMEM);
    CHECK_EQ(write.errno_value, ENOMEM);
}
