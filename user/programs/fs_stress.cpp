/* fs_stress: many files in one directory, a large file read back in odd pieces,
 * a deep directory chain, and renames, each checked byte for byte; everything it
 * creates lies under /fs_stress and is removed again. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <user_test.h>

namespace {

constexpr int MANY_FILES = 200;
constexpr size_t LARGE_FILE_SIZE = 1024 * 1024 + 123; /* not a multiple of any chunk */
constexpr int DEPTH = 24;

/* The byte at offset `i` of the large file: a pattern that a shifted or
 * duplicated block cannot match by accident. */
uint8_t pattern(size_t i) { return uint8_t((i * 7 + i / 251 * 13 + 5) % 251); }

bool write_all(int fd, const void* data, size_t size)
{
    auto* bytes = static_cast<const char*>(data);
    while (size > 0) {
        ssize_t written = write(fd, bytes, size);
        if (written <= 0)
            return false;
        bytes += written;
        size -= size_t(written);
    }
    return true;
}

/* Reads exactly `size` bytes unless the file ends first; returns the count. */
size_t read_all(int fd, void* data, size_t size)
{
    auto* bytes = static_cast<char*>(data);
    size_t done = 0;
    while (done < size) {
        ssize_t got = read(fd, bytes + done, size - done);
        if (got <= 0)
            break;
        done += size_t(got);
    }
    return done;
}

void test_many_files()
{
    bool created = mkdir("/fs_stress/many") == 0;
    char path[64], content[64], back[64];
    for (int i = 0; i < MANY_FILES && created; ++i) {
        snprintf(path, sizeof(path), "/fs_stress/many/file_%d", i);
        int length = snprintf(content, sizeof(content), "this is file number %d\n", i);
        int fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
        created = fd >= 0 && write_all(fd, content, size_t(length)) && close(fd) == 0;
    }
    if (!user_test_expect(created, "fs_stress.create_many_files", "%s: %s", path, strerror(errno)))
        return;
    int entries = count_directory_entries("/fs_stress/many");
    user_test_expect(entries == MANY_FILES, "fs_stress.list_many_files", "getdents saw %d of %d", entries, MANY_FILES);
    bool intact = true;
    for (int i = 0; i < MANY_FILES && intact; ++i) {
        snprintf(path, sizeof(path), "/fs_stress/many/file_%d", i);
        int length = snprintf(content, sizeof(content), "this is file number %d\n", i);
        int fd = open(path, O_RDONLY);
        size_t got = fd >= 0 ? read_all(fd, back, sizeof(back)) : 0;
        intact = got == size_t(length) && memcmp(back, content, got) == 0;
        close(fd);
    }
    user_test_expect(intact, "fs_stress.read_many_files", "%s differs", path);
    bool removed = true;
    for (int i = 0; i < MANY_FILES && removed; ++i) {
        snprintf(path, sizeof(path), "/fs_stress/many/file_%d", i);
        removed = unlink(path) == 0;
    }
    user_test_expect(removed && count_directory_entries("/fs_stress/many") == 0 && rmdir("/fs_stress/many") == 0,
                     "fs_stress.remove_many_files", "%s: %s", path, strerror(errno));
}

void test_large_file()
{
    static char chunk[5000];
    int fd = open("/fs_stress/large", O_RDWR | O_CREAT | O_TRUNC, 0644);
    bool written = fd >= 0;
    /* Written in pieces of 4096 bytes, read back in pieces of 5000: every read
     * straddles write boundaries. */
    for (size_t at = 0; written && at < LARGE_FILE_SIZE; at += 4096) {
        size_t size = LARGE_FILE_SIZE - at < 4096 ? LARGE_FILE_SIZE - at : 4096;
        for (size_t i = 0; i < size; ++i)
            chunk[i] = char(pattern(at + i));
        written = write_all(fd, chunk, size);
    }
    if (!user_test_expect(written, "fs_stress.write_large_file", "%s", strerror(errno)))
        return;
    struct stat st;
    user_test_expect(fstat(fd, &st) == 0 && st.st_size == LARGE_FILE_SIZE, "fs_stress.large_file_size",
                     "size %lu", static_cast<unsigned long>(st.st_size));
    lseek(fd, 0, SEEK_SET);
    size_t at = 0, bad_at = SIZE_MAX;
    for (size_t got; bad_at == SIZE_MAX && (got = read_all(fd, chunk, sizeof(chunk))) > 0; at += got) {
        for (size_t i = 0; i < got; ++i) {
            if (uint8_t(chunk[i]) != pattern(at + i)) {
                bad_at = at + i;
                break;
            }
        }
    }
    user_test_expect(bad_at == SIZE_MAX && at == LARGE_FILE_SIZE, "fs_stress.read_large_file",
                     "read %zu bytes, first wrong byte at %zu", at, bad_at);
    const size_t middle = 777777;
    bool seek_ok = lseek(fd, off_t(middle), SEEK_SET) == off_t(middle) && read_all(fd, chunk, 100) == 100;
    for (size_t i = 0; seek_ok && i < 100; ++i)
        seek_ok = uint8_t(chunk[i]) == pattern(middle + i);
    user_test_expect(seek_ok, "fs_stress.seek_and_read_large_file", "bytes at %zu differ", middle);
    user_test_expect(lseek(fd, 0, SEEK_END) == off_t(LARGE_FILE_SIZE) && read(fd, chunk, 10) == 0,
                     "fs_stress.read_at_end_gives_zero", "not at end");
    close(fd);
    user_test_expect(unlink("/fs_stress/large") == 0, "fs_stress.remove_large_file", "%s", strerror(errno));
}

void test_deep_paths()
{
    char path[PATH_MAX] = "/fs_stress/deep";
    bool made = mkdir(path) == 0;
    for (int level = 0; level < DEPTH && made; ++level) {
        size_t length = strlen(path);
        snprintf(path + length, sizeof(path) - length, "/level_%d", level);
        made = mkdir(path) == 0;
    }
    if (!user_test_expect(made, "fs_stress.make_deep_directories", "%s: %s", path, strerror(errno)))
        return;
    char file[PATH_MAX];
    snprintf(file, sizeof(file), "%s/bottom.txt", path);
    int fd = open(file, O_WRONLY | O_CREAT, 0644);
    user_test_expect(fd >= 0 && write_all(fd, "deep\n", 5) && close(fd) == 0, "fs_stress.file_at_the_bottom", "%s",
                     strerror(errno));
    struct stat st;
    user_test_expect(stat(file, &st) == 0 && st.st_size == 5, "fs_stress.stat_deep_file", "%s", strerror(errno));

    char cwd[PATH_MAX];
    bool walked = chdir(path) == 0 && getcwd(cwd, sizeof(cwd)) && strcmp(cwd, path) == 0;
    int relative = walked ? open("bottom.txt", O_RDONLY) : -1;
    user_test_expect(walked && relative >= 0, "fs_stress.chdir_deep_and_open_relative", "cwd %s", walked ? cwd : "?");
    close(relative);
    bool dotdot = chdir("../..") == 0 && getcwd(cwd, sizeof(cwd)) && strncmp(cwd, path, strlen(cwd)) == 0;
    user_test_expect(dotdot, "fs_stress.chdir_dot_dot", "cwd %s", cwd);
    chdir("/");

    bool removed = unlink(file) == 0;
    for (int level = DEPTH; level >= 0 && removed; --level) {
        removed = rmdir(path) == 0;
        *strrchr(path, '/') = '\0';
    }
    user_test_expect(removed, "fs_stress.remove_deep_directories", "%s: %s", path, strerror(errno));
}

void test_rename()
{
    int fd = open("/fs_stress/old_name", O_WRONLY | O_CREAT, 0644);
    bool made = fd >= 0 && write_all(fd, "renamed\n", 8) && close(fd) == 0 && mkdir("/fs_stress/other") == 0;
    if (!user_test_expect(made, "fs_stress.rename_setup", "%s", strerror(errno)))
        return;
    bool moved = rename("/fs_stress/old_name", "/fs_stress/other/new_name") == 0;
    struct stat st;
    user_test_expect(moved && stat("/fs_stress/old_name", &st) < 0 && errno == ENOENT &&
                         stat("/fs_stress/other/new_name", &st) == 0 && st.st_size == 8,
                     "fs_stress.rename_across_directories", "%s", strerror(errno));
    user_test_expect(rmdir("/fs_stress/other") < 0 && errno == ENOTEMPTY, "fs_stress.rmdir_non_empty_refused",
                     "errno %d", errno);
    unlink("/fs_stress/other/new_name");
    rmdir("/fs_stress/other");
}

} // namespace

int main()
{
    if (!user_test_expect(mkdir("/fs_stress") == 0, "fs_stress.make_work_directory", "%s", strerror(errno)))
        return user_test_summary();
    test_many_files();
    test_large_file();
    test_deep_paths();
    test_rename();
    user_test_expect(rmdir("/fs_stress") == 0, "fs_stress.everything_removed", "%s", strerror(errno));
    return user_test_summary();
}
