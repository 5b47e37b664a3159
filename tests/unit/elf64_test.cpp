/* kernel/loader/elf64.cpp against hand-built executables (one broken thing each)
 * and against the real user programs of this build (USER_PROGRAM_DIR). */
#include "loader/elf64.h"
#include "unit_test.h"

#include <cstdint>
#include <algorithm>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

namespace {

struct Header {
    uint8_t ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};

struct ProgramHeader {
    uint32_t type, flags;
    uint64_t offset, vaddr, paddr, filesz, memsz, align;
};

constexpr uint32_t PT_LOAD = 1, PT_INTERP = 3, PF_X = 1, PF_W = 2, PF_R = 4;

/* A small valid executable: text at 0x400000 (file offset 0x1000, R+X) and data at
 * 0x402000 (offset 0x2000, R+W, with .bss), program headers right after the header. */
struct TestElf {
    Header header{};
    std::vector<ProgramHeader> segments;
    size_t file_size = 0x3000;

    TestElf()
    {
        const uint8_t ident[16] = {0x7f, 'E', 'L', 'F', 2, 1, 1, 0};
        std::memcpy(header.ident, ident, 16);
        header.type = 2;
        header.machine = 62;
        header.version = 1;
        header.entry = 0x400010;
        header.phoff = sizeof(Header);
        header.ehsize = sizeof(Header);
        header.phentsize = sizeof(ProgramHeader);
        segments.push_back({PT_LOAD, PF_R | PF_X, 0x1000, 0x400000, 0x400000, 0x800, 0x800, 0x1000});
        segments.push_back({PT_LOAD, PF_R | PF_W, 0x2000, 0x402000, 0x402000, 0x100, 0x3000, 0x1000});
    }

    std::vector<uint8_t> bytes() const
    {
        Header h = header;
        h.phnum = uint16_t(segments.size());
        std::vector<uint8_t> file(file_size, 0);
        std::memcpy(file.data(), &h, std::min(sizeof(h), file.size()));
        for (size_t i = 0; i < segments.size(); ++i) {
            uint64_t at = h.phoff + i * sizeof(ProgramHeader);
            if (h.phoff <= file.size() && at >= h.phoff && at + sizeof(ProgramHeader) <= file.size())
                std::memcpy(file.data() + at, &segments[i], sizeof(ProgramHeader));
        }
        return file;
    }

    elf64::ParseResult parse() const
    {
        std::vector<uint8_t> file = bytes();
        return elf64::parse(file.data(), file.size());
    }
};

std::string error_of(const TestElf& elf) { return elf64::elf_error_name(elf.parse().error); }

} // namespace

UNIT_TEST(elf64_accepts_valid_executable)
{
    TestElf elf;
    elf64::ParseResult result = elf.parse();
    CHECK_EQ(std::string(elf64::elf_error_name(result.error)), std::string("none"));
    CHECK_EQ(result.image.entry, uint64_t(0x400010));
    CHECK_EQ(result.image.segment_count, size_t(2));
    const elf64::Segment& text = result.image.segments[0];
    CHECK_EQ(text.virtual_address, uint64_t(0x400000));
    CHECK(text.readable && text.executable && !text.writable);
    const elf64::Segment& data = result.image.segments[1];
    CHECK_EQ(data.file_size, uint64_t(0x100));
    CHECK_EQ(data.memory_size, uint64_t(0x3000));
    CHECK(data.readable && data.writable && !data.executable);
}

UNIT_TEST(elf64_rejects_truncated_header)
{
    TestElf elf;
    elf.file_size = 40;
    CHECK_EQ(error_of(elf), std::string("too_small"));
}

UNIT_TEST(elf64_rejects_bad_magic)
{
    TestElf elf;
    elf.header.ident[1] = 'X';
    CHECK_EQ(error_of(elf), std::string("bad_magic"));
}

UNIT_TEST(elf64_rejects_32_bit_and_big_endian)
{
    TestElf elf32;
    elf32.header.ident[4] = 1;
    CHECK_EQ(error_of(elf32), std::string("not_64_bit"));
    TestElf big;
    big.header.ident[5] = 2;
    CHECK_EQ(error_of(big), std::string("not_little_endian"));
}

UNIT_TEST(elf64_rejects_wrong_machine)
{
    TestElf elf;
    elf.header.machine = 183; /* EM_AARCH64 */
    CHECK_EQ(error_of(elf), std::string("not_x86_64"));
}

UNIT_TEST(elf64_rejects_shared_object_and_relocatable)
{
    TestElf shared;
    shared.header.type = 3; /* ET_DYN */
    CHECK_EQ(error_of(shared), std::string("not_executable"));
    TestElf relocatable;
    relocatable.header.type = 1; /* ET_REL */
    CHECK_EQ(error_of(relocatable), std::string("not_executable"));
}

UNIT_TEST(elf64_rejects_program_headers_beyond_file)
{
    TestElf elf;
    elf.header.phoff = elf.file_size - 60;
    CHECK_EQ(error_of(elf), std::string("program_headers_outside_file"));
    TestElf huge;
    huge.header.phoff = ~uint64_t(0) - 8; /* offset + size wraps */
    CHECK_EQ(error_of(huge), std::string("program_headers_outside_file"));
}

UNIT_TEST(elf64_rejects_segment_beyond_file)
{
    TestElf elf;
    elf.segments[1].filesz = 0x1001; /* ends one byte after the 0x3000-byte file */
    CHECK_EQ(error_of(elf), std::string("segment_outside_file"));
    TestElf wrapping;
    wrapping.segments[0].offset = ~uint64_t(0) - 0xfff; /* offset + filesz wraps around */
    wrapping.segments[0].vaddr = 0x400000 - 0x1000;
    CHECK_EQ(error_of(wrapping), std::string("segment_outside_file"));
}

UNIT_TEST(elf64_rejects_file_size_above_memory_size)
{
    TestElf elf;
    elf.segments[0].memsz = 0x7ff;
    CHECK_EQ(error_of(elf), std::string("file_size_exceeds_memory_size"));
}

UNIT_TEST(elf64_rejects_kernel_half_addresses)
{
    TestElf kernel;
    kernel.segments[1].vaddr = 0xFFFFFFFF80002000;
    CHECK_EQ(error_of(kernel), std::string("segment_outside_user_space"));
    TestElf straddling; /* starts in user space, ends past its top */
    straddling.segments[1].vaddr = elf64::USER_SPACE_END - 0x1000;
    CHECK_EQ(error_of(straddling), std::string("segment_outside_user_space"));
    TestElf null_page;
    null_page.segments[0].vaddr = 0;
    null_page.segments[0].offset = 0;
    CHECK_EQ(error_of(null_page), std::string("segment_outside_user_space"));
}

UNIT_TEST(elf64_rejects_overlapping_segments)
{
    TestElf elf;
    elf.segments[1].vaddr = 0x400000;
    elf.segments[1].offset = 0x2000;
    CHECK_EQ(error_of(elf), std::string("segments_overlap"));
    TestElf same_page; /* no common byte, but one page would need R+X and R+W */
    same_page.segments[1].vaddr = 0x400900;
    same_page.segments[1].offset = 0x2900;
    CHECK_EQ(error_of(same_page), std::string("segments_overlap"));
}

UNIT_TEST(elf64_rejects_misaligned_segment)
{
    TestElf incongruent;
    incongruent.segments[1].vaddr = 0x402100; /* offset 0x2000: differs mod 0x1000 */
    CHECK_EQ(error_of(incongruent), std::string("bad_alignment"));
    TestElf not_power_of_two;
    not_power_of_two.segments[0].align = 0x1800;
    CHECK_EQ(error_of(not_power_of_two), std::string("bad_alignment"));
}

UNIT_TEST(elf64_rejects_entry_outside_executable_segment)
{
    TestElf in_data;
    in_data.header.entry = 0x402010;
    CHECK_EQ(error_of(in_data), std::string("entry_not_executable"));
    TestElf past_text;
    past_text.header.entry = 0x400800;
    CHECK_EQ(error_of(past_text), std::string("entry_not_executable"));
}

UNIT_TEST(elf64_rejects_dynamic_executable)
{
    TestElf elf;
    elf.segments.insert(elf.segments.begin(), {PT_INTERP, PF_R, 0x200, 0x400200, 0, 0x1c, 0x1c, 1});
    CHECK_EQ(error_of(elf), std::string("not_static"));
}

UNIT_TEST(elf64_rejects_file_without_loadable_segment)
{
    TestElf elf;
    elf.segments.clear();
    CHECK_EQ(error_of(elf), std::string("no_loadable_segment"));
}

UNIT_TEST(elf64_rejects_too_many_segments)
{
    TestElf elf;
    elf.segments.clear();
    for (uint64_t i = 0; i <= elf64::MAX_SEGMENTS; ++i)
        elf.segments.push_back({PT_LOAD, PF_R | PF_X, 0x1000, 0x400000 + i * 0x1000, 0, 0x10, 0x10, 0x1000});
    CHECK_EQ(error_of(elf), std::string("too_many_segments"));
}

/* Every program the build made for user space, read from the build folder. */
UNIT_TEST(elf64_accepts_every_built_user_program)
{
    std::string folder = USER_PROGRAM_DIR;
    DIR* dir = opendir(folder.c_str());
    CHECK(dir != nullptr);
    if (!dir)
        return;
    int programs = 0;
    while (dirent* entry = readdir(dir)) {
        if (entry->d_name[0] == '.')
            continue;
        std::ifstream file(folder + "/" + entry->d_name, std::ios::binary);
        std::vector<uint8_t> bytes((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
        elf64::ParseResult result = elf64::parse(bytes.data(), bytes.size());
        CHECK_EQ(std::string(entry->d_name) + ": " + elf64::elf_error_name(result.error),
                 std::string(entry->d_name) + ": none");
        CHECK(result.image.segment_count >= 2);
        ++programs;
        /* The same file cut one byte before its last segment's end must be refused. */
        uint64_t segments_end = 0;
        for (size_t i = 0; i < result.image.segment_count; ++i) {
            const elf64::Segment& s = result.image.segments[i];
            segments_end = std::max(segments_end, s.file_offset + s.file_size);
        }
        CHECK(segments_end > 0);
        elf64::ParseResult cut = elf64::parse(bytes.data(), segments_end - 1);
        CHECK_EQ(std::string(elf64::elf_error_name(cut.error)), std::string("segment_outside_file"));
    }
    closedir(dir);
    CHECK(programs >= 5);
}
