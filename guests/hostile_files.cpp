/* Test guest "hostile_files": the file hypercalls of abi/hypercall.h with every
 * argument a hostile guest can think of (docs/hypercalls.md, "Errors"): paths
 * that climb out of the VM's root, long and unterminated names, embedded NULs,
 * buffers that are unmapped, read-only, outside RAM or wrap around, lengths too
 * large, bad handles, another VM's handles, unknown numbers. Each must give its
 * error code and leave the guest (and the host, and other VMs) going.
 * It runs with 32-bit paging (SDM rev. 084 Vol. 3A "32-Bit Paging") so that the
 * host has page tables to walk: 0-4 MiB writable, 4-8 MiB read-only (4 MiB pages),
 * nothing else. Started twice at once on the same root (vm_root=/hostile), the
 * first to create scratch/holder keeps its handles open; the other checks that
 * those handle numbers mean nothing in its own VM. */
#include "abi/errno.h"
#include "abi/fcntl.h"
#include "abi/limits.h"
#include "common/cpu.h"
#include "common/guest.h"
#include "common/hypercall.h"
#include "common/text.h"
#include "kernel/arch/x86_64/control_registers.h"

namespace guest {

const char GUEST_NAME[] = "hostile_files";

namespace {

constexpr uint32_t ROOT = HYPERCALL_FILE_ROOT;
constexpr uint32_t READ_ONLY_PAGE = 0x00400000;  /* 4-8 MiB: mapped read-only */
constexpr uint32_t UNMAPPED = 0xC0000000;        /* where a kernel would be: not present */
constexpr uint32_t LAST_PAGE = 0xFFFFF000;
constexpr uint32_t RAM_WINDOW_END = 0x003FFFF8;  /* 8 bytes before the read-only page */
constexpr uint32_t POLLS_FOR_OTHER_VM = 20000;
const char HELLO[] = "hello from the host\n";

alignas(4096) uint32_t page_directory[1024];
char buffer[8192];
char long_text[PATH_MAX + 64];

uint32_t address(const void* pointer) { return uint32_t(uintptr_t(pointer)); }

int32_t call(uint32_t number, uint32_t ebx = 0, uint32_t ecx = 0, uint32_t edx = 0, uint32_t esi = 0)
{
    return hypercall(number, ebx, ecx, edx, esi).status;
}

int32_t open(const char* path, uint32_t flags, uint32_t at = ROOT)
{
    return call(HYPERCALL_FILE_OPEN, at, address(path), flags, 0644);
}

/* Reads at offset 0; the bytes land in `buffer`. */
int32_t read(int32_t handle, uint32_t length = 64) { return call(HYPERCALL_FILE_READ, uint32_t(handle), address(buffer), length, 0); }

void expect(const char* name, int32_t status, int32_t expected)
{
    Text reason;
    reason.add("returned ").add_decimal(status).add(", expected ").add_decimal(expected);
    check(name, status == expected, reason.c_str());
}

bool buffer_holds(const char* text, int32_t length)
{
    if (length != int32_t(string_length(text)))
        return false;
    for (int32_t i = 0; i < length; ++i) {
        if (buffer[i] != text[i])
            return false;
    }
    return true;
}

void enable_paging()
{
    constexpr uint32_t P = 1, RW = 2, PS = 0x80;
    page_directory[0] = 0x00000000 | P | RW | PS;
    page_directory[1] = READ_ONLY_PAGE | P | PS;
    uint32_t cr4, cr0;
    asm volatile("mov %%cr4, %0" : "=r"(cr4));
    asm volatile("mov %0, %%cr4" ::"r"(cr4 | (1u << 4)));   /* PSE: 4 MiB pages */
    asm volatile("mov %0, %%cr3" ::"r"(address(page_directory)));
    asm volatile("mov %%cr0, %0" : "=r"(cr0));
    asm volatile("mov %0, %%cr0" ::"r"(uint32_t(cr0 | CR0_PG | CR0_WP)) : "memory");
}

void check_paths()
{
    expect("dot_dot_cannot_leave_the_root", open("../etc/motd", O_RDONLY), -ENOENT);
    expect("absolute_path_starts_at_the_root", open("/etc/motd", O_RDONLY), -ENOENT);
    expect("many_dot_dots_stay_in_the_root", open("/../../../../boot/kernel", O_RDONLY), -ENOENT);
    int32_t sub = open("sub", O_RDONLY | O_DIRECTORY);
    check("subdirectory_opens", sub >= 0, "open sub failed");
    expect("dot_dot_from_a_directory_handle_stays_in_the_root", open("../../etc/motd", O_RDONLY, uint32_t(sub)), -ENOENT);
    int32_t inner = open("../sub/inner.txt", O_RDONLY, uint32_t(sub));
    check("dot_dot_within_the_root_works", inner >= 0, "open ../sub/inner.txt failed");
    call(HYPERCALL_FILE_CLOSE, uint32_t(inner));
    call(HYPERCALL_FILE_CLOSE, uint32_t(sub));

    for (uint32_t i = 0; i < NAME_MAX + 10; ++i)
        long_text[i] = 'a';
    long_text[NAME_MAX + 10] = '\0';
    expect("long_name_is_enametoolong", open(long_text, O_RDWR | O_CREAT), -ENAMETOOLONG);
    for (uint32_t i = 0; i < sizeof(long_text); ++i)
        long_text[i] = i % 2 ? '/' : 'x';
    expect("unterminated_path_is_enametoolong", call(HYPERCALL_FILE_OPEN, ROOT, address(long_text), O_RDONLY), -ENAMETOOLONG);

    static const char embedded[] = "hello.txt\0/../../etc/motd";
    int32_t handle = open(embedded, O_RDONLY);
    check("embedded_nul_ends_the_path", handle >= 0 && buffer_holds(HELLO, read(handle)), "did not open hello.txt");
    call(HYPERCALL_FILE_CLOSE, uint32_t(handle));
}

void check_addresses(int32_t handle)
{
    expect("path_at_an_unmapped_address_is_efault", call(HYPERCALL_FILE_OPEN, ROOT, UNMAPPED, O_RDONLY), -EFAULT);
    expect("path_outside_ram_is_efault", call(HYPERCALL_FILE_OPEN, ROOT, 0xF0000000, O_RDONLY), -EFAULT);
    expect("read_into_a_read_only_page_is_efault", call(HYPERCALL_FILE_READ, uint32_t(handle), READ_ONLY_PAGE, 16, 0), -EFAULT);
    expect("read_into_an_unmapped_page_is_efault", call(HYPERCALL_FILE_READ, uint32_t(handle), UNMAPPED, 16, 0), -EFAULT);
    /* 8 writable bytes, then the read-only page: nothing may be written. */
    auto* window = reinterpret_cast<volatile uint32_t*>(RAM_WINDOW_END);
    window[0] = 0x5EE5;
    window[1] = 0x5EE5;
    expect("read_straddling_into_read_only_is_efault", call(HYPERCALL_FILE_READ, uint32_t(handle), RAM_WINDOW_END, 16, 0), -EFAULT);
    check("failed_read_wrote_nothing", window[0] == 0x5EE5 && window[1] == 0x5EE5, "bytes before the read-only page changed");
    expect("buffer_wrapping_around_4gib_is_efault", call(HYPERCALL_FILE_READ, uint32_t(handle), LAST_PAGE, 0x2000, 0), -EFAULT);
    expect("length_beyond_the_maximum_is_einval", call(HYPERCALL_FILE_READ, uint32_t(handle), address(buffer), 0xFFFFFFFF, 0), -EINVAL);
    expect("write_of_a_huge_length_is_einval", call(HYPERCALL_FILE_WRITE, uint32_t(handle), address(buffer), 0x80000000, 0), -EINVAL);
    expect("write_from_an_unmapped_buffer_is_efault", call(HYPERCALL_FILE_WRITE, uint32_t(handle), UNMAPPED, 16, 0), -EFAULT);
    expect("fstat_into_a_read_only_page_is_efault", call(HYPERCALL_FILE_FSTAT, uint32_t(handle), READ_ONLY_PAGE), -EFAULT);
    expect("getdents_size_beyond_the_maximum_is_einval",
           call(HYPERCALL_FILE_GETDENTS, uint32_t(open("/", O_RDONLY | O_DIRECTORY)), address(buffer), 0x7FFFFFFF, 0), -EINVAL);
    expect("rename_to_an_unmapped_path_is_efault",
           call(HYPERCALL_FILE_RENAME, ROOT, address("hello.txt"), ROOT, UNMAPPED), -EFAULT);
}

void check_handles(int32_t handle)
{
    expect("handle_out_of_range_is_ebadf", read(9999), -EBADF);
    expect("handle_64_is_ebadf", read(64), -EBADF);
    expect("root_is_no_readable_handle", read(int32_t(ROOT)), -EBADF);
    expect("unopened_handle_is_ebadf", read(40), -EBADF);
    expect("file_handle_as_a_directory_is_enotdir", open("x", O_RDONLY, uint32_t(handle)), -ENOTDIR);
    int32_t closing = open("hello.txt", O_RDONLY);
    expect("close_works", call(HYPERCALL_FILE_CLOSE, uint32_t(closing)), 0);
    expect("closing_twice_is_ebadf", call(HYPERCALL_FILE_CLOSE, uint32_t(closing)), -EBADF);
    expect("read_after_close_is_ebadf", read(closing), -EBADF);
    expect("bad_open_flags_are_einval", call(HYPERCALL_FILE_OPEN, ROOT, address("hello.txt"), 0x40000000), -EINVAL);
}

void check_numbers()
{
    expect("number_below_the_file_calls_is_enosys", call(15), -ENOSYS);
    expect("number_above_the_file_calls_is_enosys", call(HYPERCALL_FILE_RING_NOTIFY + 1), -ENOSYS);
    expect("huge_number_is_enosys", call(0xFFFFFFF0), -ENOSYS);
}

/* The two VMs meet in scratch/: the holder keeps a handle on its marker until
 * the prober says it is done; the prober's handle numbers are its own. */
void check_other_vm(int32_t hello)
{
    call(HYPERCALL_FILE_MKDIR, ROOT, address("scratch"), 0755);
    int32_t marker = open("scratch/holder", O_RDWR | O_CREAT | O_EXCL);
    if (marker >= 0) {
        call(HYPERCALL_FILE_WRITE, uint32_t(marker), address("holder"), 6, 0);
        uint32_t polls = 0;
        while (polls < POLLS_FOR_OTHER_VM && call(HYPERCALL_FILE_STAT, ROOT, address("scratch/prober_done"), address(buffer)) != 0)
            ++polls;
        if (polls == POLLS_FOR_OTHER_VM) {
            skip("other_vm_left_our_handles_alone", "no second VM probed");
        } else {
            check("other_vm_left_our_handles_alone",
                  buffer_holds("holder", read(marker)) && buffer_holds(HELLO, read(hello)), "our files changed");
        }
        call(HYPERCALL_FILE_CLOSE, uint32_t(marker));
        call(HYPERCALL_FILE_UNLINK, ROOT, address("scratch/holder"));
        call(HYPERCALL_FILE_UNLINK, ROOT, address("scratch/prober_done"));
        return;
    }
    expect("second_vm_finds_the_holder", marker, -EEXIST);
    /* The holder has `hello` and its marker open under the numbers we would use
     * next; here only our own `hello` is a handle. */
    bool all_ebadf = true;
    for (int32_t h = 0; h < 8; ++h) {
        if (h != hello)
            all_ebadf = all_ebadf && read(h) == -EBADF && call(HYPERCALL_FILE_WRITE, uint32_t(h), address("x"), 1, 0) == -EBADF;
    }
    check("another_vms_handle_numbers_are_ebadf", all_ebadf, "a handle we never opened worked");
    int32_t done = open("scratch/prober_done", O_RDWR | O_CREAT);
    call(HYPERCALL_FILE_CLOSE, uint32_t(done));
}

} // namespace

void guest_main()
{
    check("file_feature_offered", cpuid(HYPERVISOR_CPUID_FEATURES).ebx & HYPERCALL_FEATURE_FILES, "no FILES bit");
    enable_paging();
    int32_t hello = open("hello.txt", O_RDONLY);
    check("root_file_opens", hello >= 0, "open hello.txt failed");
    check("root_file_reads", buffer_holds(HELLO, read(hello)), "wrong content");
    check_other_vm(hello);
    check_paths();
    check_addresses(hello);
    check_handles(hello);
    check_numbers();
    check("still_reads_after_all_that", buffer_holds(HELLO, read(hello)), "hello.txt changed");
}

} // namespace guest
