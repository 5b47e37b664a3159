/* kernel/fs/ramfs.cpp on its own: chunked contents, holes, truncate, link counts,
 * cookies that survive removals, and nothing leaked. */
#include "fs/ramfs.h"
#include "unit_test.h"

#include <algorithm>
#include <vector>

namespace {

RefPtr<Inode> make_file(RamFs& fs, const char* name) { return fs.create(*fs.root(), name, 0644, nullptr).value(); }

struct stat status_of(RamFs& fs, Inode& inode)
{
    struct stat status;
    CHECK(!fs.stat(inode, status).is_error());
    return status;
}

} // namespace

UNIT_TEST(ramfs_write_read_across_chunk_boundaries)
{
    RamFs fs;
    RefPtr<Inode> file = make_file(fs, "big");
    std::vector<uint8_t> data(3 * RamFs::CHUNK_SIZE + 123);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = uint8_t(i * 7 + i / 4096);
    CHECK_EQ(fs.write(*file, 0, data.data(), data.size(), nullptr).value(), data.size());
    CHECK_EQ(fs.chunk_count(), size_t(4));
    std::vector<uint8_t> back(data.size() + 100, 0xEE);
    CHECK_EQ(fs.read(*file, 0, back.data(), back.size()).value(), data.size());
    CHECK(std::equal(data.begin(), data.end(), back.begin()));
    /* A read that straddles a chunk boundary, and one past the end. */
    uint8_t piece[10];
    CHECK_EQ(fs.read(*file, RamFs::CHUNK_SIZE - 5, piece, 10).value(), size_t(10));
    CHECK(std::equal(piece, piece + 10, data.begin() + RamFs::CHUNK_SIZE - 5));
    CHECK_EQ(fs.read(*file, data.size() + 1, piece, 10).value(), size_t(0));
    CHECK_EQ(status_of(fs, *file).st_size, uint64_t(data.size()));
}

UNIT_TEST(ramfs_holes_read_as_zeros_and_cost_no_chunks)
{
    RamFs fs;
    RefPtr<Inode> file = make_file(fs, "sparse");
    CHECK_EQ(fs.write(*file, 10 * RamFs::CHUNK_SIZE, "z", 1, nullptr).value(), size_t(1));
    CHECK_EQ(fs.chunk_count(), size_t(1));
    CHECK_EQ(status_of(fs, *file).st_size, uint64_t(10 * RamFs::CHUNK_SIZE + 1));
    uint8_t buffer[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    CHECK_EQ(fs.read(*file, 5 * RamFs::CHUNK_SIZE, buffer, 8).value(), size_t(8));
    CHECK(std::all_of(buffer, buffer + 8, [](uint8_t b) { return b == 0; }));
}

UNIT_TEST(ramfs_truncate_shrinks_frees_and_regrows_with_zeros)
{
    RamFs fs;
    RefPtr<Inode> file = make_file(fs, "t");
    std::vector<uint8_t> ones(2 * RamFs::CHUNK_SIZE, 1);
    CHECK(!fs.write(*file, 0, ones.data(), ones.size(), nullptr).is_error());
    CHECK(!fs.truncate(*file, 100).is_error());
    CHECK_EQ(fs.chunk_count(), size_t(1));
    CHECK_EQ(status_of(fs, *file).st_size, uint64_t(100));
    CHECK(!fs.truncate(*file, 200).is_error());
    uint8_t buffer[200];
    CHECK_EQ(fs.read(*file, 0, buffer, 200).value(), size_t(200));
    CHECK_EQ(int(buffer[99]), 1);
    CHECK_EQ(int(buffer[100]), 0); /* the cut-off bytes do not come back */
    CHECK(!fs.truncate(*file, 0).is_error());
    CHECK_EQ(fs.chunk_count(), size_t(0));
    CHECK_EQ(fs.truncate(*file, RamFs::MAX_FILE_SIZE + 1).error(), EFBIG);
    CHECK_EQ(fs.write(*file, RamFs::MAX_FILE_SIZE, "x", 1, nullptr).error(), EFBIG);
    CHECK_EQ(fs.write(*file, UINT64_MAX, "x", 1, nullptr).error(), EFBIG);
}

UNIT_TEST(ramfs_link_counts_follow_posix)
{
    RamFs fs;
    RefPtr<Inode> root = fs.root();
    CHECK_EQ(status_of(fs, *root).st_nlink, 2u);
    RefPtr<Inode> sub = fs.mkdir(*root, "sub", 0755, nullptr).value();
    RefPtr<Inode> file = fs.create(*root, "file", 0644, nullptr).value();
    CHECK_EQ(status_of(fs, *root).st_nlink, 3u);
    CHECK_EQ(status_of(fs, *sub).st_nlink, 2u);
    CHECK_EQ(status_of(fs, *file).st_nlink, 1u);
    CHECK(!fs.rename(*root, "file", *sub, "moved").is_error());
    RefPtr<Inode> inner = fs.mkdir(*sub, "inner", 0755, nullptr).value();
    CHECK_EQ(status_of(fs, *sub).st_nlink, 3u);
    CHECK(!fs.rename(*sub, "inner", *root, "inner").is_error());
    CHECK_EQ(status_of(fs, *sub).st_nlink, 2u);
    CHECK_EQ(status_of(fs, *root).st_nlink, 4u);
    CHECK(!fs.unlink(*sub, "moved").is_error());
    CHECK_EQ(status_of(fs, *file).st_nlink, 0u);
    CHECK(!fs.rmdir(*root, "inner").is_error());
    CHECK_EQ(status_of(fs, *inner).st_nlink, 0u);
    CHECK_EQ(status_of(fs, *root).st_nlink, 3u);
    CHECK_EQ(status_of(fs, *root).st_mode, uint32_t(S_IFDIR | 0755));
}

UNIT_TEST(ramfs_errors_name_the_problem)
{
    RamFs fs;
    RefPtr<Inode> root = fs.root();
    RefPtr<Inode> sub = fs.mkdir(*root, "sub", 0755, nullptr).value();
    CHECK(!fs.create(*sub, "f", 0644, nullptr).is_error());
    CHECK_EQ(fs.create(*root, "sub", 0644, nullptr).error(), EEXIST);
    CHECK_EQ(fs.mkdir(*root, "sub", 0755, nullptr).error(), EEXIST);
    CHECK_EQ(fs.unlink(*root, "sub").error(), EISDIR);
    CHECK_EQ(fs.rmdir(*sub, "f").error(), ENOTDIR);
    CHECK_EQ(fs.rmdir(*root, "sub").error(), ENOTEMPTY);
    CHECK_EQ(fs.lookup(*root, "none").error(), ENOENT);
    CHECK_EQ(fs.read(*sub, 0, nullptr, 0).error(), EISDIR);
    CHECK(fs.lookup(*root, "..").value() == root);
    CHECK(fs.lookup(*sub, "..").value() == root);
}

UNIT_TEST(ramfs_removed_directory_accepts_no_new_names)
{
    RamFs fs;
    RefPtr<Inode> root = fs.root();
    RefPtr<Inode> gone = fs.mkdir(*root, "gone", 0755, nullptr).value();
    CHECK(!fs.rmdir(*root, "gone").is_error());
    CHECK_EQ(fs.create(*gone, "x", 0644, nullptr).error(), ENOENT);
    CHECK_EQ(fs.lookup(*gone, "..").error(), ENOENT);
}

UNIT_TEST(ramfs_readdir_cookies_survive_removal_of_earlier_entries)
{
    RamFs fs;
    RefPtr<Inode> root = fs.root();
    for (const char* name : {"a", "b", "c", "d"})
        CHECK(!fs.create(*root, name, 0644, nullptr).is_error());
    DirectoryEntry entry;
    CHECK(fs.readdir(*root, 0, entry).value());
    CHECK(fs.readdir(*root, entry.next_cookie, entry).value());
    CHECK_EQ(std::string(entry.name), std::string("b"));
    uint64_t resume = entry.next_cookie;
    CHECK(!fs.unlink(*root, "a").is_error());
    CHECK(fs.readdir(*root, resume, entry).value());
    CHECK_EQ(std::string(entry.name), std::string("c"));
    CHECK(fs.readdir(*root, entry.next_cookie, entry).value());
    CHECK_EQ(std::string(entry.name), std::string("d"));
    CHECK(!fs.readdir(*root, entry.next_cookie, entry).value());
}

UNIT_TEST(ramfs_frees_every_inode_and_chunk)
{
    RamFs fs;
    RefPtr<Inode> root = fs.root();
    for (int i = 0; i < 50; ++i) {
        std::string name = "f" + std::to_string(i);
        RefPtr<Inode> file = fs.create(*root, name.c_str(), 0644, nullptr).value();
        CHECK(!fs.write(*file, 0, name.data(), name.size(), nullptr).is_error());
    }
    CHECK_EQ(fs.inode_count(), size_t(51));
    for (int i = 0; i < 50; ++i)
        CHECK(!fs.unlink(*root, ("f" + std::to_string(i)).c_str()).is_error());
    CHECK_EQ(fs.inode_count(), size_t(1));
    CHECK_EQ(fs.chunk_count(), size_t(0));
}

UNIT_TEST(ramfs_unlinked_file_lives_while_referenced)
{
    RamFs fs;
    RefPtr<Inode> file = make_file(fs, "open");
    CHECK(!fs.write(*file, 0, "still here", 10, nullptr).is_error());
    CHECK(!fs.unlink(*fs.root(), "open").is_error());
    CHECK_EQ(fs.inode_count(), size_t(2));
    char buffer[10];
    CHECK_EQ(fs.read(*file, 0, buffer, 10).value(), size_t(10));
    CHECK_EQ(std::string(buffer, 10), std::string("still here"));
    file = nullptr;
    CHECK_EQ(fs.inode_count(), size_t(1));
}

/* Regression: the root inode was numbered before the counter's initialiser ran,
 * so the first file got the root's number. */
UNIT_TEST(ramfs_inode_numbers_are_unique)
{
    RamFs fs;
    RefPtr<Inode> a = make_file(fs, "a");
    RefPtr<Inode> b = fs.mkdir(*fs.root(), "b", 0755, nullptr).value();
    CHECK(fs.root()->number() != a->number());
    CHECK(fs.root()->number() != b->number());
    CHECK(a->number() != b->number());
    CHECK_EQ(fs.inode_count(), size_t(3));
}

UNIT_TEST(ramfs_readv_and_writev_move_scattered_pieces_across_chunks)
{
    RamFs fs;
    RefPtr<Inode> file = make_file(fs, "scattered");
    std::vector<uint8_t> data(2 * RamFs::CHUNK_SIZE + 300);
    for (size_t i = 0; i < data.size(); ++i)
        data[i] = uint8_t(i * 11 + i / 4096);
    /* Pieces that end inside chunks, one empty, one spanning a whole chunk. */
    std::vector<uint8_t> source = data;
    IoVector out[] = {{source.data(), 100},
                      {source.data() + 100, 0},
                      {source.data() + 100, RamFs::CHUNK_SIZE + 50},
                      {source.data() + 100 + RamFs::CHUNK_SIZE + 50, data.size() - 150 - RamFs::CHUNK_SIZE}};
    CHECK_EQ(fs.writev(*file, 10, out, 4, nullptr).value(), data.size());
    CHECK_EQ(status_of(fs, *file).st_size, uint64_t(10 + data.size()));

    std::vector<uint8_t> first(7, 0xEE), second(RamFs::CHUNK_SIZE * 3, 0xEE);
    IoVector in[] = {{first.data(), first.size()}, {second.data(), second.size()}};
    /* Reads stop at the end of the file; the 10 bytes before the data are a hole. */
    CHECK_EQ(fs.readv(*file, 0, in, 2).value(), size_t(10 + data.size()));
    CHECK(std::all_of(first.begin(), first.end(), [](uint8_t b) { return b == 0; }));
    CHECK(std::equal(data.begin(), data.end(), second.begin() + 3));
    CHECK_EQ(second[10 + data.size() - 7], uint8_t(0xEE));
}
