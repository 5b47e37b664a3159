/* kernel/fs/read_ahead: hostfs's read-ahead windows over a fake host whose files
 * are byte vectors. The coherence cases follow the model of read_ahead.h: our own
 * write or truncate is seen at once (hostfs forgets the window), a host change is
 * seen after a lookup (forget) or once the window's lifetime is over; plus the
 * ends of files, sparse files, fetch errors and windows shared among files. */
#include "abi/errno.h"
#include "fs/read_ahead.h"
#include "unit_test.h"

#include <algorithm>
#include <map>
#include <vector>

namespace {

constexpr size_t PAGE = 4096;
constexpr uint64_t LATER = ReadAhead::LIFETIME_NS; /* the first instant a window is too old */

/* The host: files by key, a read as the host's VFS answers it (short at the end,
 * 0 past it). */
struct FakeHost final : ReadAhead::Host {
    std::map<const void*, std::vector<uint8_t>> files;
    std::vector<std::vector<uint8_t>> windows; /* what allocate() gave */
    bool out_of_memory = false;
    int fail_with = 0;     /* an errno for the next fetches */
    size_t lie_extra = 0;  /* claims this many bytes more than it was asked */
    size_t requests = 0;
    size_t largest_ask = 0;

    Result<size_t> fetch(const void* file, uint64_t offset, void* into, size_t length) override
    {
        ++requests;
        largest_ask = std::max(largest_ask, length);
        if (fail_with)
            return Error(fail_with);
        if (lie_extra)
            return length + lie_extra;
        return host_read(file, offset, into, length);
    }
    uint8_t* allocate() override
    {
        if (out_of_memory)
            return nullptr;
        windows.emplace_back(ReadAhead::WINDOW_MAX);
        return windows.back().data();
    }
    void release(uint8_t* bytes) override { released += bytes != nullptr; }
    size_t released = 0;
    size_t host_read(const void* file, uint64_t offset, void* into, size_t length)
    {
        const std::vector<uint8_t>& bytes = files[file];
        if (offset >= bytes.size())
            return 0;
        size_t n = std::min<size_t>(length, bytes.size() - offset);
        std::memcpy(into, bytes.data() + offset, n);
        return n;
    }
};

/* The guest's side as hostfs does it: a read through the windows, else from the
 * host; a write or truncate changes the host and forgets the window. */
struct Guest {
    FakeHost host;
    ReadAhead cache{host};
    std::map<const void*, uint64_t> next_read;
    uint64_t now = 1000;

    std::vector<uint8_t> read(const void* file, uint64_t offset, size_t count)
    {
        std::vector<uint8_t> buffer(count);
        bool served = false;
        size_t n = cache.read(file, offset, buffer.data(), count, now, offset == next_read[file], served);
        if (!served)
            n = host.host_read(file, offset, buffer.data(), count);
        buffer.resize(n);
        next_read[file] = offset + n;
        return buffer;
    }
    void write(const void* file, uint64_t offset, const std::vector<uint8_t>& bytes)
    {
        cache.forget(file);
        std::vector<uint8_t>& data = host.files[file];
        if (data.size() < offset + bytes.size())
            data.resize(offset + bytes.size());
        std::memcpy(data.data() + offset, bytes.data(), bytes.size());
    }
    void truncate(const void* file, size_t size)
    {
        cache.forget(file);
        host.files[file].resize(size);
    }
};

std::vector<uint8_t> pattern(size_t size, uint8_t seed)
{
    std::vector<uint8_t> bytes(size);
    for (size_t i = 0; i < size; ++i)
        bytes[i] = uint8_t(i * 7 + seed + i / 4096);
    return bytes;
}

std::vector<uint8_t> slice(const std::vector<uint8_t>& bytes, size_t offset, size_t count)
{
    return std::vector<uint8_t>(bytes.begin() + long(offset), bytes.begin() + long(offset + count));
}

/* Files are known by address, as hostfs knows its inodes. */
int file_a, file_b, file_c, file_d, file_e;
const void* const A = &file_a;

} // namespace

UNIT_TEST(read_ahead_serves_sequential_4k_reads_from_windows_that_double_up_to_the_largest)
{
    Guest guest;
    constexpr size_t SIZE = 4 * 1024 * 1024;
    guest.host.files[A] = pattern(SIZE, 1);
    /* Fetches at 0 (WINDOW_FIRST), then at each window's end, each twice as large up to WINDOW_MAX. */
    size_t fetches = 0;
    for (size_t offset = 0; offset < SIZE; offset += PAGE) {
        CHECK(guest.read(A, offset, PAGE) == slice(guest.host.files[A], offset, PAGE));
        size_t expected = 1;
        for (size_t end = ReadAhead::WINDOW_FIRST, size = ReadAhead::WINDOW_FIRST; end <= offset; ++expected) {
            size = std::min(size * 2, ReadAhead::WINDOW_MAX);
            end += size;
        }
        fetches = expected;
        CHECK_EQ(guest.host.requests, expected);
    }
    CHECK_EQ(guest.cache.fetches(), uint64_t(fetches));
    CHECK(fetches < SIZE / ReadAhead::WINDOW_MAX + 4);
    CHECK_EQ(guest.host.windows.size(), size_t(1)); /* one buffer, kept */
}

UNIT_TEST(read_ahead_a_read_straddling_the_window_end_fetches_from_its_own_offset)
{
    Guest guest;
    guest.host.files[A] = pattern(512 * 1024, 2);
    (void)guest.read(A, 0, PAGE);
    uint64_t near_end = ReadAhead::WINDOW_FIRST - 100;
    guest.next_read[A] = near_end;
    CHECK(guest.read(A, near_end, PAGE) == slice(guest.host.files[A], near_end, PAGE));
    CHECK_EQ(guest.host.requests, size_t(2));
}

UNIT_TEST(read_ahead_our_own_write_is_seen_by_the_next_read)
{
    Guest guest;
    guest.host.files[A] = pattern(256 * 1024, 3);
    (void)guest.read(A, 0, PAGE);
    guest.write(A, PAGE, std::vector<uint8_t>(PAGE, 0xab));
    CHECK(guest.read(A, PAGE, PAGE) == std::vector<uint8_t>(PAGE, 0xab));
}

UNIT_TEST(read_ahead_a_host_change_is_seen_after_a_lookup_or_the_lifetime)
{
    Guest guest;
    guest.host.files[A] = pattern(256 * 1024, 4);
    std::vector<uint8_t> before = guest.host.files[A];
    (void)guest.read(A, 0, PAGE);
    /* The host changes bytes the window holds, behind the guest's back. */
    std::memset(guest.host.files[A].data() + PAGE, 0xcd, 2 * PAGE);
    guest.now += LATER - 1;
    CHECK(guest.read(A, PAGE, PAGE) == slice(before, PAGE, PAGE)); /* the model allows the old bytes */
    guest.now += 1;
    CHECK(guest.read(A, 2 * PAGE, PAGE) == std::vector<uint8_t>(PAGE, 0xcd)); /* too old: fetched anew */

    std::memset(guest.host.files[A].data() + 3 * PAGE, 0xef, PAGE);
    guest.cache.forget(A); /* a lookup of the name */
    CHECK(guest.read(A, 3 * PAGE, PAGE) == std::vector<uint8_t>(PAGE, 0xef));
}

UNIT_TEST(read_ahead_answers_the_end_of_a_file_the_window_saw)
{
    Guest guest;
    guest.host.files[A] = pattern(5000, 5);
    CHECK(guest.read(A, 0, PAGE) == slice(guest.host.files[A], 0, PAGE));
    CHECK(guest.read(A, PAGE, PAGE) == slice(guest.host.files[A], PAGE, 5000 - PAGE)); /* short, from the window */
    CHECK_EQ(guest.host.requests, size_t(1));
    CHECK(guest.read(A, 5000, PAGE).empty()); /* past the end: the host's answer */
    CHECK(guest.read(A, 1 << 20, PAGE).empty());
}

UNIT_TEST(read_ahead_a_file_the_host_grew_is_read_whole_after_a_lookup)
{
    Guest guest;
    guest.host.files[A] = pattern(3000, 6);
    CHECK_EQ(guest.read(A, 0, PAGE).size(), size_t(3000));
    guest.host.files[A] = pattern(9000, 6);
    guest.cache.forget(A);
    guest.next_read[A] = 0;
    CHECK(guest.read(A, 0, PAGE) == slice(guest.host.files[A], 0, PAGE));
    CHECK(guest.read(A, PAGE, 2 * PAGE) == slice(guest.host.files[A], PAGE, 9000 - PAGE));
}

UNIT_TEST(read_ahead_a_sparse_file_reads_its_hole_as_zeros)
{
    Guest guest;
    /* What the host's VFS answers for a hole: zeros, then the data after it. */
    guest.host.files[A] = std::vector<uint8_t>(200 * 1024, 0);
    std::memset(guest.host.files[A].data() + 150 * 1024, 0x5a, 50 * 1024);
    for (size_t offset = 0; offset < 200 * 1024; offset += PAGE)
        CHECK(guest.read(A, offset, PAGE) == slice(guest.host.files[A], offset, std::min<size_t>(PAGE, 200 * 1024 - offset)));
}

UNIT_TEST(read_ahead_a_truncate_drops_the_window)
{
    Guest guest;
    guest.host.files[A] = pattern(64 * 1024, 7);
    (void)guest.read(A, 0, PAGE);
    guest.truncate(A, 6000);
    CHECK_EQ(guest.read(A, PAGE, PAGE).size(), size_t(6000 - PAGE));
    guest.truncate(A, 0);
    CHECK(guest.read(A, 0, PAGE).empty());
}

UNIT_TEST(read_ahead_random_and_large_reads_go_to_the_host_directly)
{
    Guest guest;
    guest.host.files[A] = pattern(1024 * 1024, 8);
    guest.next_read[A] = 77; /* not where the next read starts */
    CHECK(guest.read(A, 300 * 1024, PAGE) == slice(guest.host.files[A], 300 * 1024, PAGE));
    guest.next_read[A] = 0;
    CHECK(guest.read(A, 0, ReadAhead::SMALL_READ + 1) == slice(guest.host.files[A], 0, ReadAhead::SMALL_READ + 1));
    CHECK_EQ(guest.cache.fetches(), uint64_t(0));
}

UNIT_TEST(read_ahead_a_failed_or_lying_fetch_leaves_the_read_to_the_host)
{
    Guest guest;
    guest.host.files[A] = pattern(64 * 1024, 9);
    guest.host.fail_with = EIO;
    bool served = true;
    std::vector<uint8_t> buffer(PAGE);
    CHECK_EQ(guest.cache.read(A, 0, buffer.data(), PAGE, guest.now, true, served), size_t(0));
    CHECK(!served);
    guest.host.fail_with = 0;
    guest.host.lie_extra = 1;
    CHECK_EQ(guest.cache.read(A, 0, buffer.data(), PAGE, guest.now, true, served), size_t(0));
    CHECK(!served);
    /* Nothing of the lie stayed: the next read fetches and answers the truth. */
    guest.host.lie_extra = 0;
    CHECK(guest.read(A, 0, PAGE) == slice(guest.host.files[A], 0, PAGE));
}

UNIT_TEST(read_ahead_files_never_see_each_others_bytes_when_windows_run_out)
{
    Guest guest;
    const void* files[] = {&file_a, &file_b, &file_c, &file_d, &file_e};
    static_assert(ReadAhead::WINDOWS < 5, "more readers than windows");
    for (size_t i = 0; i < 5; ++i)
        guest.host.files[files[i]] = pattern(256 * 1024, uint8_t(10 + i));
    for (size_t round = 0; round < 3; ++round) {
        for (size_t i = 0; i < 5; ++i) {
            uint64_t offset = round * PAGE;
            CHECK(guest.read(files[i], offset, PAGE) == slice(guest.host.files[files[i]], offset, PAGE));
        }
    }
}

UNIT_TEST(read_ahead_without_memory_for_a_window_serves_nothing)
{
    FakeHost host;
    host.files[A] = pattern(PAGE, 11);
    host.out_of_memory = true;
    std::vector<uint8_t> buffer(PAGE);
    bool served = true;
    {
        ReadAhead cache(host);
        CHECK_EQ(cache.read(A, 0, buffer.data(), PAGE, 0, true, served), size_t(0));
        CHECK(!served);
        CHECK_EQ(host.requests, size_t(0));
        host.out_of_memory = false;
        CHECK_EQ(cache.read(A, 0, buffer.data(), PAGE, 0, true, served), PAGE);
        CHECK(served);
    }
    CHECK_EQ(host.released, size_t(1)); /* the window's buffer went with the cache */
}

UNIT_TEST(read_ahead_readers_taking_windows_from_each_other_fetch_small_windows)
{
    Guest guest;
    const void* files[] = {&file_a, &file_b, &file_c, &file_d, &file_e};
    for (size_t i = 0; i < 5; ++i)
        guest.host.files[files[i]] = pattern(2 * 1024 * 1024, uint8_t(20 + i));
    /* Five readers in turn over four windows: each read finds its window taken
     * and starts again at the first size, never the largest. */
    for (size_t offset = 0; offset < 512 * 1024; offset += PAGE) {
        for (size_t i = 0; i < 5; ++i)
            (void)guest.read(files[i], offset, PAGE);
    }
    CHECK(guest.host.largest_ask <= ReadAhead::WINDOW_FIRST);
}
