/* hypervisor/hypercall/file_ring: the file request ring's host side, driven over
 * a vector of guest RAM. The ring is guest memory, so most tests are about what a
 * hostile guest can do to it: bad set-up arguments, a producer index that lies,
 * a ring scribbled on while its requests are served, numbers that are no file
 * call. The last ones run real file calls through it (hypercall_fs's lookup batch). */
#include "abi/errno.h"
#include "abi/fcntl.h"
#include "abi/hypercall.h"
#include "abi/stat.h"
#include "hypervisor/hypercall/file_ring.h"
#include "hypervisor/hypercall/file_server.h"
#include "fake_guest_memory.h"
#include "fake_guest_ram.h"
#include "vfs_fixture.h"

#include <cstring>
#include <functional>
#include <string>
#include <vector>

namespace {

constexpr uint64_t RAM_SIZE = 64 * 1024;
constexpr uint64_t RING = 0x2000; /* guest-physical */
constexpr uint32_t ENTRIES = 8;

class Ram final : public FakeGuestRam {
public:
    Ram() : FakeGuestRam(RAM_SIZE) {}
};

/* Records what it was asked; answers 100 + the request's index, or what
 * `during` (run while a request is served, like a guest scribbling) says. */
struct RecordingServer final : RingRequestServer {
    std::vector<HypercallRegisters> seen;
    std::function<void(size_t)> during;
    uint64_t serve(const HypercallRegisters& request, guest_paging::GuestVirtualMemory&) override
    {
        seen.push_back(request);
        if (during)
            during(seen.size() - 1);
        return 100 + seen.size() - 1;
    }
};

/* The guest's side: queues requests the way kernel/fs/hypercall_ring.cpp does. */
struct Guest {
    Ram ram;
    FakeGuestMemory memory;
    FileRing ring;
    uint32_t entries = ENTRIES;

    hypercall_ring_header& header() { return *reinterpret_cast<hypercall_ring_header*>(&ram.bytes[RING]); }
    hypercall_ring_request& request(uint32_t index)
    {
        auto* requests = reinterpret_cast<hypercall_ring_request*>(&ram.bytes[RING + HYPERCALL_RING_REQUESTS_OFFSET]);
        return requests[index % entries];
    }
    int64_t result(uint32_t index)
    {
        int64_t value;
        std::memcpy(&value, &ram.bytes[RING + HYPERCALL_RING_RESULTS_OFFSET(entries) + 8 * (index % entries)], 8);
        return value;
    }
    void queue(uint64_t number, uint64_t rbx = 0, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t rsi = 0)
    {
        request(header().produced) = {number, {rbx, rcx, rdx, rsi}};
        ++header().produced;
    }
    Result<uint64_t> notify(RingRequestServer& server, Failure& why) { return ring.notify(server, ram, memory, why); }
};

int error_of(const Result<void>& result) { return result.is_error() ? result.error() : 0; }

} // namespace

UNIT_TEST(file_ring_set_up_refuses_bad_addresses_and_sizes)
{
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING + 8, ENTRIES, guest.ram)), EINVAL);       /* not page-aligned */
    CHECK_EQ(error_of(guest.ring.set_up(RING, 3, guest.ram)), EINVAL);                 /* not a power of two */
    CHECK_EQ(error_of(guest.ring.set_up(RING, 128, guest.ram)), EINVAL);               /* beyond one page */
    CHECK_EQ(error_of(guest.ring.set_up(RING, ~uint64_t(0), guest.ram)), EINVAL);
    CHECK_EQ(error_of(guest.ring.set_up(RAM_SIZE, ENTRIES, guest.ram)), EFAULT);       /* past guest RAM */
    CHECK_EQ(error_of(guest.ring.set_up(~uint64_t(0) & ~uint64_t(4095), 1, guest.ram)), EFAULT);
    CHECK(!guest.ring.active());
    CHECK_EQ(error_of(guest.ring.set_up(RING, HYPERCALL_RING_ENTRIES_MAX, guest.ram)), 0);
    CHECK(guest.ring.active());
    CHECK_EQ(error_of(guest.ring.set_up(0, 0, guest.ram)), 0); /* removed */
    CHECK(!guest.ring.active());
}

UNIT_TEST(file_ring_notify_without_a_ring_is_enxio)
{
    Guest guest;
    RecordingServer server;
    Failure why;
    Result<uint64_t> served = guest.notify(server, why);
    CHECK(served.is_error() && served.error() == ENXIO);
    CHECK_EQ(why.errno_value, 0);
}

UNIT_TEST(file_ring_serves_queued_requests_in_order_and_writes_each_result)
{
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    RecordingServer server;
    Failure why;
    /* Three notifies of 5 requests: the slots wrap around the 8-entry ring. */
    for (uint32_t round = 0; round < 3; ++round) {
        for (uint32_t i = 0; i < 5; ++i)
            guest.queue(HYPERCALL_FILE_READ, round, i, 4096, 0);
        Result<uint64_t> served = guest.notify(server, why);
        CHECK(!served.is_error() && served.value() == 5);
        CHECK_EQ(guest.header().consumed, 5 * (round + 1));
        for (uint32_t i = 0; i < 5; ++i)
            CHECK_EQ(guest.result(5 * round + i), int64_t(100 + 5 * round + i));
    }
    CHECK_EQ(server.seen.size(), size_t(15));
    for (size_t i = 0; i < server.seen.size(); ++i) {
        CHECK_EQ(server.seen[i].rbx, i / 5);
        CHECK_EQ(server.seen[i].rcx, i % 5);
    }
    /* Nothing new queued: a notify serves nothing. */
    CHECK_EQ(guest.notify(server, why).value(), uint64_t(0));
    CHECK_EQ(guest.ring.requests_served(), uint64_t(15));
    CHECK_EQ(guest.ring.bytes_moved(), uint64_t(15 * 100 + 105)); /* 100 + 0 ... 100 + 14 */
}

UNIT_TEST(file_ring_a_full_ring_is_served_but_a_producer_past_it_ends_the_vm)
{
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    RecordingServer server;
    Failure why;
    for (uint32_t i = 0; i < ENTRIES; ++i)
        guest.queue(HYPERCALL_FILE_FSTAT, i);
    CHECK_EQ(guest.notify(server, why).value(), uint64_t(ENTRIES));
    /* One more than fits: the guest overwrote a request it had not seen served. */
    guest.header().produced += ENTRIES + 1;
    Result<uint64_t> served = guest.notify(server, why);
    CHECK(served.is_error() && served.error() == EIO);
    CHECK(std::string(why.text).find("more than its 8 entries") != std::string::npos);
    CHECK_EQ(server.seen.size(), size_t(ENTRIES)); /* nothing of the lie was served */
}

UNIT_TEST(file_ring_a_producer_behind_the_served_count_ends_the_vm)
{
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    RecordingServer server;
    Failure why;
    guest.queue(HYPERCALL_FILE_FSTAT, 0);
    CHECK_EQ(guest.notify(server, why).value(), uint64_t(1));
    guest.header().produced = 0; /* moved back: 2^32 - 1 requests "pending" */
    /* The guest's `consumed` is never read: scribbling it changes nothing. */
    guest.header().consumed = 0;
    CHECK(guest.notify(server, why).is_error());
    CHECK(why.errno_value == EIO);
    CHECK_EQ(server.seen.size(), size_t(1));
}

UNIT_TEST(file_ring_reads_produced_once_and_each_request_once_while_the_guest_scribbles)
{
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    RecordingServer server;
    guest.queue(HYPERCALL_FILE_READ, 1, 2, 3, 4);
    guest.queue(HYPERCALL_FILE_WRITE, 5, 6, 7, 8);
    /* While request 0 is served, "the guest" (a read landing on the ring page)
     * rewrites it and pushes `produced` far ahead. */
    server.during = [&](size_t index) {
        if (index != 0)
            return;
        guest.request(0) = {HYPERCALL_FILE_RING_NOTIFY, {9, 9, 9, 9}};
        guest.header().produced = 0x7FFFFFFF;
    };
    Failure why;
    Result<uint64_t> served = guest.notify(server, why);
    CHECK(!served.is_error() && served.value() == 2); /* the produced read at the start */
    CHECK_EQ(server.seen.size(), size_t(2));
    CHECK_EQ(server.seen[0].rax, uint64_t(HYPERCALL_FILE_READ));
    CHECK_EQ(server.seen[0].rsi, uint64_t(4));
    CHECK_EQ(server.seen[1].rbx, uint64_t(5));
    CHECK_EQ(guest.header().consumed, 2u);
    /* The next notify reads the scribbled index, and refuses it. */
    CHECK(guest.notify(server, why).is_error());
}

UNIT_TEST(file_ring_numbers_that_are_no_file_call_are_enosys_and_never_served)
{
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    RecordingServer server;
    for (uint64_t number : {uint64_t(HYPERCALL_PING), uint64_t(HYPERCALL_POWER_OFF), uint64_t(HYPERCALL_FILE_RING_SETUP),
                            uint64_t(HYPERCALL_FILE_RING_NOTIFY), uint64_t(HYPERCALL_FILE_FIRST - 1),
                            uint64_t(HYPERCALL_FILE_LAST + 1) | (uint64_t(1) << 40), ~uint64_t(0)})
        guest.queue(number, 1, 2, 3, 4);
    Failure why;
    CHECK_EQ(guest.notify(server, why).value(), uint64_t(7));
    CHECK(server.seen.empty());
    for (uint32_t i = 0; i < 7; ++i)
        CHECK_EQ(guest.result(i), -int64_t(ENOSYS));
}

UNIT_TEST(file_ring_previous_result_stands_for_the_request_before_in_the_same_notify)
{
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    RecordingServer server;
    guest.queue(HYPERCALL_FILE_FSTAT, HYPERCALL_RING_PREVIOUS_RESULT); /* first: no previous */
    guest.queue(HYPERCALL_FILE_FSTAT, HYPERCALL_RING_PREVIOUS_RESULT);
    Failure why;
    CHECK_EQ(guest.notify(server, why).value(), uint64_t(2));
    CHECK_EQ(server.seen[0].rbx, uint64_t(-int64_t(EBADF)));
    CHECK_EQ(server.seen[1].rbx, uint64_t(100));
    /* Not carried over from one notify to the next. */
    guest.queue(HYPERCALL_FILE_FSTAT, HYPERCALL_RING_PREVIOUS_RESULT);
    CHECK_EQ(guest.notify(server, why).value(), uint64_t(1));
    CHECK_EQ(server.seen[2].rbx, uint64_t(-int64_t(EBADF)));
}

UNIT_TEST(file_ring_set_up_again_starts_counting_from_zero)
{
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    RecordingServer server;
    Failure why;
    guest.queue(HYPERCALL_FILE_FSTAT, 0);
    guest.queue(HYPERCALL_FILE_FSTAT, 0);
    CHECK_EQ(guest.notify(server, why).value(), uint64_t(2));
    guest.header() = {};
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    guest.queue(HYPERCALL_FILE_FSTAT, 0);
    CHECK_EQ(guest.notify(server, why).value(), uint64_t(1));
}

UNIT_TEST(file_ring_open_and_fstat_of_its_handle_in_one_notify_through_the_file_server)
{
    VfsFixture host;
    CHECK(!host.sys.mkdir("/vm").is_error());
    host.put("/vm/hello.txt", "hello");
    RefPtr<Inode> root = resolve_path(host.context, "/vm").value();
    FileServer files(root, nullptr);
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    constexpr uint64_t PATH = FakeGuestMemory::BASE, STATUS = FakeGuestMemory::BASE + 0x1000;
    guest.memory.put(PATH, "hello.txt");
    /* hostfs's lookup batch: read-write is EROFS (nothing writable), read-only works. */
    guest.queue(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT, PATH, O_RDWR);
    guest.queue(HYPERCALL_FILE_FSTAT, HYPERCALL_RING_PREVIOUS_RESULT, STATUS);
    guest.queue(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT, PATH, O_RDONLY);
    guest.queue(HYPERCALL_FILE_FSTAT, HYPERCALL_RING_PREVIOUS_RESULT, STATUS);
    Failure why;
    CHECK_EQ(guest.notify(files, why).value(), uint64_t(4));
    CHECK_EQ(guest.result(0), -int64_t(EROFS));
    CHECK_EQ(guest.result(1), -int64_t(EBADF));
    CHECK(guest.result(2) >= 0);
    CHECK_EQ(guest.result(3), int64_t(0));
    struct stat status {};
    CHECK(guest.memory.read(STATUS, &status, sizeof(status)));
    CHECK_EQ(status.st_size, uint64_t(5));
    /* Read it and close it in the next notify; the bytes are counted. */
    constexpr uint64_t BUFFER = FakeGuestMemory::BASE + 0x2000;
    guest.queue(HYPERCALL_FILE_READ, uint64_t(guest.result(2)), BUFFER, 4096, 0);
    guest.queue(HYPERCALL_FILE_CLOSE, uint64_t(guest.result(2)));
    CHECK_EQ(guest.notify(files, why).value(), uint64_t(2));
    CHECK_EQ(guest.result(4), int64_t(5));
    CHECK_EQ(guest.memory.get(BUFFER, 5), std::string("hello"));
    CHECK_EQ(files.open_handle_count(), 0);
    CHECK_EQ(guest.ring.bytes_moved(), uint64_t(5));
}

UNIT_TEST(file_ring_physical_buffers_go_to_guest_ram_for_read_and_write_only)
{
    VfsFixture host;
    CHECK(!host.sys.mkdir("/vm").is_error());
    host.put("/vm/hello.txt", "hello");
    RefPtr<Inode> root = resolve_path(host.context, "/vm").value();
    FileServer files(root, nullptr);
    Guest guest;
    CHECK_EQ(error_of(guest.ring.set_up(RING, ENTRIES, guest.ram)), 0);
    constexpr uint64_t PATH = FakeGuestMemory::BASE, PHYSICAL = 0x8000;
    guest.memory.put(PATH, "hello.txt");
    guest.queue(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT, PATH, O_RDONLY);
    guest.queue(HYPERCALL_FILE_READ | HYPERCALL_RING_PHYSICAL_BUFFER, HYPERCALL_RING_PREVIOUS_RESULT, PHYSICAL, 4096, 0);
    /* Past guest RAM: EFAULT, nothing written. */
    guest.queue(HYPERCALL_FILE_READ | HYPERCALL_RING_PHYSICAL_BUFFER, 0, RAM_SIZE - 2, 4096, 0);
    /* The flag means nothing to other calls: an unknown number. */
    guest.queue(HYPERCALL_FILE_FSTAT | HYPERCALL_RING_PHYSICAL_BUFFER, 0, PHYSICAL);
    Failure why;
    CHECK_EQ(guest.notify(files, why).value(), uint64_t(4));
    CHECK_EQ(guest.result(0), int64_t(0));
    CHECK_EQ(guest.result(1), int64_t(5));
    CHECK_EQ(std::string(reinterpret_cast<const char*>(&guest.ram.bytes[PHYSICAL]), 5), std::string("hello"));
    CHECK_EQ(guest.result(2), -int64_t(EFAULT));
    CHECK_EQ(guest.ram.bytes[RAM_SIZE - 2], uint8_t(0));
    CHECK_EQ(guest.result(3), -int64_t(ENOSYS));
    CHECK_EQ(guest.ring.bytes_moved(), uint64_t(5));
}
