/* kernel/fs/cpio.cpp and kernel/fs/initrd.cpp: well-formed archives (hand-made
 * and written by tools/mkinitrd.py) unpack completely; malformed ones give an
 * error status and never a read outside the archive (AddressSanitizer watches:
 * every archive sits in a heap block of exactly its size). */
#include "fs/initrd.h"
#include "file_pages_fake.h"
#include "vfs_fixture.h"

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <vector>

namespace {

std::string header(uint32_t mode, size_t file_size, size_t name_size, const char* magic = "070701")
{
    char text[111];
    std::snprintf(text, sizeof(text), "%s%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08zX%08X", magic, 1u, mode, 0u,
                  0u, 1u, 0u, unsigned(file_size), 0u, 0u, 0u, 0u, name_size, 0u);
    return text;
}

void pad4(std::string& archive) { archive.append((4 - archive.size() % 4) % 4, '\0'); }

void add_entry(std::string& archive, const std::string& name, uint32_t mode, const std::string& data)
{
    archive += header(mode, data.size(), name.size() + 1) + name + '\0';
    pad4(archive);
    archive += data;
    pad4(archive);
}

std::string archive_of(const std::vector<std::pair<std::string, std::string>>& files)
{
    std::string archive;
    for (const auto& [name, data] : files)
        add_entry(archive, name, data == "/" ? 040755 : 0100644, data == "/" ? "" : data);
    add_entry(archive, "TRAILER!!!", 0, "");
    return archive;
}

/* Reads every entry of a copy of `archive` in a block of exactly its size. */
CpioStatus read_all(const std::string& archive, size_t* entries = nullptr)
{
    std::vector<uint8_t> exact(archive.begin(), archive.end());
    CpioReader reader(exact.data(), exact.size());
    CpioEntry entry;
    CpioStatus status;
    size_t count = 0;
    while ((status = reader.next(entry)) == CpioStatus::ok)
        ++count;
    if (entries)
        *entries = count;
    return status;
}

} // namespace

UNIT_TEST(cpio_reads_entries_names_modes_and_data)
{
    std::string archive = archive_of({{"etc", "/"}, {"etc/motd", "hello"}, {"empty", ""}});
    CpioReader reader(archive.data(), archive.size());
    CpioEntry entry;
    CHECK(reader.next(entry) == CpioStatus::ok);
    CHECK(entry.name == "etc");
    CHECK(entry.is_directory());
    CHECK(reader.next(entry) == CpioStatus::ok);
    CHECK(entry.name == "etc/motd");
    CHECK(entry.is_regular());
    CHECK_EQ(std::string(reinterpret_cast<const char*>(entry.data), entry.size), std::string("hello"));
    CHECK(reader.next(entry) == CpioStatus::ok);
    CHECK_EQ(entry.size, size_t(0));
    CHECK(reader.next(entry) == CpioStatus::end);
    CHECK(reader.next(entry) == CpioStatus::end);
}

UNIT_TEST(cpio_rejects_bad_magic_and_bad_numbers)
{
    std::string archive = archive_of({{"a", "x"}});
    std::string wrong_magic = archive;
    wrong_magic[5] = '7';
    CHECK(read_all(wrong_magic) == CpioStatus::bad_magic);
    std::string not_hex = archive;
    not_hex[20] = 'g';
    CHECK(read_all(not_hex) == CpioStatus::bad_number);
    CHECK(read_all("garbage that is not an archive at all") == CpioStatus::truncated_header);
    CHECK(read_all(std::string(200, '\0')) == CpioStatus::bad_magic);
}

UNIT_TEST(cpio_accepts_the_crc_variant_magic)
{
    std::string archive = archive_of({{"a", "x"}});
    archive[5] = '2';
    CHECK(read_all(archive) == CpioStatus::end);
}

UNIT_TEST(cpio_rejects_every_truncation)
{
    std::string archive = archive_of({{"dir", "/"}, {"dir/file", "some data here"}});
    CHECK(read_all(archive) == CpioStatus::end);
    for (size_t cut = 0; cut < archive.size() - 4; ++cut) {
        CpioStatus status = read_all(archive.substr(0, cut));
        CHECK(status != CpioStatus::end && status != CpioStatus::ok);
    }
    CHECK(read_all("") == CpioStatus::missing_trailer);
}

UNIT_TEST(cpio_rejects_names_that_are_not_terminated_or_empty)
{
    std::string unterminated = header(0100644, 0, 3) + "abc";
    pad4(unterminated);
    CHECK(read_all(unterminated) == CpioStatus::name_not_terminated);
    std::string empty_name = header(0100644, 0, 0);
    CHECK(read_all(empty_name) == CpioStatus::bad_name);
    std::string inner_nul = header(0100644, 0, 4) + std::string("a\0b\0", 4);
    CHECK(read_all(inner_nul) == CpioStatus::bad_name);
    std::string long_name = header(0100644, 0, 0xFFFFFFF0) + "a";
    CHECK(read_all(long_name) == CpioStatus::truncated_name);
}

UNIT_TEST(cpio_rejects_sizes_past_the_end)
{
    std::string archive = header(0100644, 0xFFFFFFFF, 2) + "a";
    archive += '\0';
    archive += "xyz";
    CHECK(read_all(archive) == CpioStatus::truncated_data);
    std::string no_trailer;
    add_entry(no_trailer, "a", 0100644, "x");
    size_t entries = 0;
    CHECK(read_all(no_trailer, &entries) == CpioStatus::missing_trailer);
    CHECK_EQ(entries, size_t(1));
}

UNIT_TEST(initrd_unpacks_into_the_vfs_making_missing_parents)
{
    VfsFixture f;
    std::string archive = archive_of({{"./etc", "/"}, {"./etc/motd", "welcome"}, {"/usr/share/doc/x", "deep"},
                                      {".", "/"}, {"etc/motd", "replaced"}});
    InitrdReport report = unpack_initrd(f.sys, archive.data(), archive.size());
    CHECK(report.succeeded());
    CHECK_EQ(report.files, size_t(3));
    CHECK_EQ(report.directories, size_t(1));
    CHECK_EQ(report.bytes, size_t(7 + 4 + 8));
    CHECK_EQ(f.get("/etc/motd"), std::string("replaced"));
    CHECK_EQ(f.get("/usr/share/doc/x"), std::string("deep"));
    CHECK_EQ(f.files.open_count(), 0);
}

UNIT_TEST(initrd_skips_other_types_and_reports_malformed_archives)
{
    VfsFixture f;
    std::string archive;
    add_entry(archive, "link", 0120777, "target");
    add_entry(archive, "file", 0100644, "x");
    std::string truncated = archive + header(0100644, 100, 2) + "b";
    InitrdReport report = unpack_initrd(f.sys, truncated.data(), truncated.size());
    CHECK_EQ(report.skipped, size_t(1));
    CHECK_EQ(report.files, size_t(1));
    CHECK(report.archive == CpioStatus::truncated_name);
    CHECK(!report.succeeded());
}

UNIT_TEST(initrd_stops_at_the_first_vfs_error)
{
    VfsFixture f;
    std::string archive = archive_of({{"file", "x"}, {"file/inside", "y"}});
    InitrdReport report = unpack_initrd(f.sys, archive.data(), archive.size());
    CHECK_EQ(report.error, ENOTDIR);
    CHECK(!report.succeeded());
}

/* The archive tests/unit/test_unit_tests.py makes with tools/mkinitrd.py:
 * hello.txt, sub/dir/pattern.bin (10000 bytes of i % 251) and /boot/kernel. */
UNIT_TEST(initrd_unpacks_an_archive_written_by_mkinitrd)
{
    const char* path = std::getenv("MATRYOSHKA_TEST_INITRD");
    CHECK(path != nullptr);
    if (!path)
        return;
    std::ifstream file(path, std::ios::binary);
    std::vector<uint8_t> archive((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
    CHECK(!archive.empty());
    VfsFixture f;
    InitrdReport report = unpack_initrd(f.sys, archive.data(), archive.size());
    CHECK(report.succeeded());
    CHECK_EQ(report.files, size_t(3));
    CHECK_EQ(f.get("/hello.txt"), std::string("hello, initrd\n"));
    std::string pattern;
    for (int i = 0; i < 10000; ++i)
        pattern += char(i % 251);
    CHECK_EQ(f.get("/sub/dir/pattern.bin"), pattern);
    CHECK_EQ(f.get("/boot/kernel"), std::string("not really a kernel"));
    CHECK_EQ(f.list("/"), std::string(". .. boot hello.txt sub"));
}

/* Issue #14: a disk image in the initrd is mostly zeros. Its zero pages stay
 * holes (no page of file data), its data pages are kept, and it reads back whole
 * with its full length, also when it ends in a hole or in a partial page. */
UNIT_TEST(initrd_keeps_zero_pages_of_a_file_as_holes)
{
    VfsFixture f;
    const size_t page = 4096;
    std::string image(64 * page + 100, '\0');
    image[0] = 'M';                      /* page 0: data */
    image[5 * page + 17] = 'x';          /* page 5: data */
    image[64 * page + 99] = 'z';         /* the partial last page: data */
    std::string tail_hole(8 * page, '\0');
    tail_hole[page] = 'y';               /* ends in six pages of zeros */
    std::string archive = archive_of({{"disk.img", image}, {"tail.img", tail_hole}, {"zeros.img", std::string(3 * page, '\0')}});
    size_t before = file_pages_fake::live();
    InitrdReport report = unpack_initrd(f.sys, archive.data(), archive.size());
    CHECK(report.succeeded());
    CHECK_EQ(report.bytes, image.size() + tail_hole.size() + 3 * page);
    /* Four data pages, each with at most one leaf page beside it: far below
     * the 75 pages the files would take written whole. */
    size_t used = file_pages_fake::live() - before;
    CHECK(used >= 4 && used <= 8);
    CHECK(f.get("/disk.img") == image);
    CHECK(f.get("/tail.img") == tail_hole);
    CHECK(f.get("/zeros.img") == std::string(3 * page, '\0'));
}
