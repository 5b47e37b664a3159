/* hypervisor/hypercall/file_server with a storage account: what a guest creates
 * and writes through the file hypercalls is charged to its VM's account, past the
 * quota it gets ENOSPC (and a short write first), and what the host itself does
 * in the VM's root is not the VM's. */
#include "abi/hypercall.h"
#include "hypervisor/hypercall/file_server.h"
#include "fake_guest_memory.h"
#include "vfs_fixture.h"

#include <cstring>
#include <vector>

namespace {

constexpr uint64_t PAGE = RamFs::CHUNK_SIZE;
constexpr uint64_t BUFFER = FakeGuestMemory::BASE + 0x10000;

} // namespace

UNIT_TEST(file_server_charges_the_vms_account_and_stops_at_its_quota)
{
    VfsFixture host;
    CHECK(!host.sys.mkdir("/vm").is_error());
    /* Four pages (a leaf and three of data) and three files. */
    RefPtr<StorageAccount> account(new StorageAccount(4 * PAGE, 3));
    RefPtr<Inode> root = resolve_path(host.context, "/vm").value();
    FileServer server(root, root, account);
    FakeGuestMemory guest;
    constexpr uint64_t PATH = FakeGuestMemory::BASE;
    auto call = [&](uint64_t number, uint64_t rbx, uint64_t rcx = 0, uint64_t rdx = 0, uint64_t rsi = 0) {
        return int64_t(server.serve({number, rbx, rcx, rdx, rsi}, guest));
    };
    auto open = [&](const std::string& path, uint64_t flags) {
        return call(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT, guest.put(PATH, path), flags, 0644);
    };

    int64_t file = open("big", O_RDWR | O_CREAT);
    CHECK(file >= 0);
    CHECK_EQ(call(HYPERCALL_FILE_MKDIR, HYPERCALL_FILE_ROOT, guest.put(PATH, "dir"), 0755), int64_t(0));
    CHECK_EQ(account->files_used(), uint64_t(2));
    /* 1 MiB asked, three pages written, then ENOSPC. */
    CHECK_EQ(call(HYPERCALL_FILE_WRITE, uint64_t(file), BUFFER, 1 << 20, 0), int64_t(3 * PAGE));
    CHECK_EQ(call(HYPERCALL_FILE_WRITE, uint64_t(file), BUFFER, 1 << 20, HYPERCALL_FILE_POSITION), -int64_t(ENOSPC));
    CHECK_EQ(account->bytes_used(), uint64_t(4 * PAGE));
    CHECK(open("third", O_WRONLY | O_CREAT) >= 0);
    CHECK_EQ(open("fourth", O_WRONLY | O_CREAT), -int64_t(ENOSPC));
    CHECK_EQ(call(HYPERCALL_FILE_MKDIR, HYPERCALL_FILE_ROOT, guest.put(PATH, "dir2"), 0755), -int64_t(ENOSPC));
    /* The host's own file in the VM's root is not charged to the VM. */
    host.put("/vm/from_host", "the host's");
    CHECK_EQ(account->files_used(), uint64_t(3));
    /* Unlinked while the guest holds it open: charged until it is closed. */
    CHECK_EQ(call(HYPERCALL_FILE_UNLINK, HYPERCALL_FILE_ROOT, guest.put(PATH, "big")), int64_t(0));
    CHECK_EQ(account->bytes_used(), uint64_t(4 * PAGE));
    CHECK_EQ(call(HYPERCALL_FILE_CLOSE, uint64_t(file)), int64_t(0));
    CHECK_EQ(account->bytes_used(), uint64_t(0));
    CHECK_EQ(account->files_used(), uint64_t(2));
}
