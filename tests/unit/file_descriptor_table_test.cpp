/* kernel/fs/file_descriptor_table.cpp: lowest free number, limits, sharing. */
#include "fs/file_descriptor_table.h"
#include "fs/ramfs.h"
#include "unit_test.h"

namespace {

RefPtr<OpenFile> some_file(RamFs& fs) { return RefPtr<OpenFile>(new OpenFile(fs.root(), O_RDONLY)); }

} // namespace

UNIT_TEST(fd_table_allocates_the_lowest_free_number)
{
    RamFs fs;
    FileDescriptorTable table;
    CHECK_EQ(table.allocate(some_file(fs)).value(), 0);
    CHECK_EQ(table.allocate(some_file(fs)).value(), 1);
    CHECK_EQ(table.allocate(some_file(fs)).value(), 2);
    CHECK(!table.close(1).is_error());
    CHECK_EQ(table.allocate(some_file(fs)).value(), 1);
    CHECK_EQ(table.allocate(some_file(fs), 10).value(), 10);
    CHECK_EQ(table.open_count(), 4);
}

UNIT_TEST(fd_table_refuses_more_than_the_maximum)
{
    RamFs fs;
    FileDescriptorTable table;
    for (int i = 0; i < FileDescriptorTable::MAX_DESCRIPTORS; ++i)
        CHECK_EQ(table.allocate(some_file(fs)).value(), i);
    CHECK_EQ(table.allocate(some_file(fs)).error(), EMFILE);
    CHECK_EQ(table.dup(0).error(), EMFILE);
    table.close_all();
    CHECK_EQ(table.open_count(), 0);
    CHECK_EQ(fs.root()->ref_count(), 2u); /* the file system's own and this one */
}

UNIT_TEST(fd_table_rejects_bad_descriptors)
{
    FileDescriptorTable table;
    CHECK_EQ(table.get(0).error(), EBADF);
    CHECK_EQ(table.get(-1).error(), EBADF);
    CHECK_EQ(table.get(FileDescriptorTable::MAX_DESCRIPTORS).error(), EBADF);
    CHECK_EQ(table.close(3).error(), EBADF);
    CHECK_EQ(table.dup(3).error(), EBADF);
}

UNIT_TEST(fd_table_dup_shares_one_open_file)
{
    RamFs fs;
    FileDescriptorTable table;
    RefPtr<OpenFile> file = some_file(fs);
    int fd = table.allocate(file).value();
    int copy = table.dup(fd).value();
    CHECK_EQ(copy, 1);
    CHECK(table.get(copy).value() == file);
    CHECK_EQ(file->ref_count(), 3u);
    CHECK(!table.close(fd).is_error());
    CHECK(table.get(copy).value() == file);
    CHECK_EQ(table.dup2(copy, 7).value(), 7);
    CHECK(table.get(7).value() == file);
    CHECK_EQ(table.dup2(copy, FileDescriptorTable::MAX_DESCRIPTORS).error(), EBADF);

    FileDescriptorTable child;
    child.copy_from(table);
    CHECK(child.get(7).value() == file);
    table.close_all();
    child.close_all();
    CHECK_EQ(file->ref_count(), 1u);
}
