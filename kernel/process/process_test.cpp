/* In-kernel tests of user processes (set "process"): the SYSCALL set-up, the
 * PTE rights the user copies rely on, and programs of the initrd started,
 * waited for and cleaned up as the kernel's own children. */
#include "abi/errno.h"
#include "arch/x86_64/arch_memory.h"
#include "arch/x86_64/control_registers.h"
#include "arch/x86_64/cpu.h"
#include "arch/x86_64/gdt.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"
#include "process/process_registry.h"
#include "syscall/user_memory.h"
#include "terminal/terminals.h"
#include "test/kernel_test.h"

extern "C" void fast_syscall_entry();

namespace {


/* Starts `argv[0]` with its output in the log and returns its wait status, or
 * -errno when it does not start. */
int run(const char* const* argv, size_t argc)
{
    Result<RefPtr<OpenFile>> log = terminals::open(terminals::log_terminal());
    if (log.is_error())
        return -log.error();
    terminals::log_terminal().set_label("process_test");
    SpawnRequest request;
    request.path = argv[0];
    request.argv = {argv, argc};
    request.standard_streams = log.value();
    Result<int> pid = ProcessRegistry::instance().spawn(request);
    if (pid.is_error())
        return -pid.error();
    Result<CollectedChild> child = ProcessRegistry::instance().wait(0, pid.value());
    return child.is_error() ? -child.error() : child.value().status;
}

} // namespace

KERNEL_TEST(process, syscall_instruction_enters_the_kernel_entry)
{
    EXPECT(cpu::rdmsr(Msr::efer) & EFER_SCE);
    EXPECT_EQ(cpu::rdmsr(Msr::lstar), reinterpret_cast<uint64_t>(&fast_syscall_entry));
    EXPECT_EQ(cpu::rdmsr(Msr::cstar), reinterpret_cast<uint64_t>(&fast_syscall_entry));
    EXPECT_EQ(cpu::rdmsr(Msr::star) >> 32 & 0xFFFF, uint64_t(gdt::KERNEL_CODE_SELECTOR));
    EXPECT_EQ(cpu::rdmsr(Msr::star) >> 48, uint64_t(gdt::USER_CODE32_SELECTOR));
    EXPECT(cpu::rdmsr(Msr::fmask) & RFLAGS_IF);
}

KERNEL_TEST(process, lookup_reports_the_user_and_writable_bits)
{
    MemoryResult<ArchMemory> created = ArchMemory::create_user_space();
    if (!created.ok()) {
        t.fail("no address space: %s", memory_error_name(created.error()));
        return;
    }
    ArchMemory space = created.take();
    constexpr uint64_t WRITABLE = 0x400000, READ_ONLY = 0x401000, KERNEL_ONLY = 0x402000;
    for (uint64_t page : {WRITABLE, READ_ONLY, KERNEL_ONLY}) {
        MapFlags flags = page == WRITABLE ? MapFlags::user | MapFlags::writable
                         : page == READ_ONLY ? MapFlags::user
                                             : MapFlags::writable;
        EXPECT(space.map_page(page, PageManager::instance().allocate_zeroed_page().value(), flags) == MemoryError::none);
    }
    MemoryResult<PageMapping> writable = space.lookup(WRITABLE);
    EXPECT(writable.ok() && writable.value().user && writable.value().writable && !writable.value().executable ==
                                                                                        ArchMemory::no_execute_enabled());
    MemoryResult<PageMapping> read_only = space.lookup(READ_ONLY);
    EXPECT(read_only.ok() && read_only.value().user && !read_only.value().writable);
    MemoryResult<PageMapping> kernel_only = space.lookup(KERNEL_ONLY);
    EXPECT(kernel_only.ok() && !kernel_only.value().user);
    EXPECT(space.lookup(0x403000).error() == MemoryError::not_mapped);
    EXPECT(space.lookup(0xFFFFFFFF80100000).error() == MemoryError::bad_address);
    EXPECT_EQ(space.user_page_count(), uint64_t(3));

    user_access::UserMemory memory = user_memory::of(space);
    EXPECT(user_access::is_accessible(memory, WRITABLE, 0x1000, user_access::Access::write));
    EXPECT(user_access::is_accessible(memory, READ_ONLY, 0x1000, user_access::Access::read));
    EXPECT(!user_access::is_accessible(memory, READ_ONLY, 0x1000, user_access::Access::write));
    EXPECT(!user_access::is_accessible(memory, KERNEL_ONLY, 1, user_access::Access::read));
}

KERNEL_TEST(process, spawned_program_gets_its_arguments_and_wait_returns_its_status)
{
    const char* argv[] = {"/bin/spawn_loop", "child", "42"};
    EXPECT_EQ(run(argv, 3), 42);
}

KERNEL_TEST(process, fault_in_user_mode_ends_only_that_process)
{
    const char* null[] = {"/bin/fault", "null"};
    EXPECT_EQ(run(null, 2), PROCESS_STATUS_FAULT | 14);
    const char* ud[] = {"/bin/fault", "ud"};
    EXPECT_EQ(run(ud, 2), PROCESS_STATUS_FAULT | 6);
    const char* gp[] = {"/bin/fault", "gp"};
    EXPECT_EQ(run(gp, 2), PROCESS_STATUS_FAULT | 13);
    const char* write[] = {"/bin/fault", "write"};
    EXPECT_EQ(run(write, 2), PROCESS_STATUS_FAULT | 14);
}

/* Free pages plus the kernel heap's pages: the heap keeps what it grew by (its
 * pages serve later allocations), so its growth is kept memory, not a leak;
 * where it grows depends on the heap's layout, which every change of the kernel
 * moves. Everything outside the heap must come back. */
static size_t free_plus_heap_pages()
{
    return PageManager::instance().free_page_count() + kernel_heap::stats().region_bytes / PAGE_SIZE;
}

KERNEL_TEST(process, every_page_comes_back_when_processes_end)
{
    const char* argv[] = {"/bin/spawn_loop", "child", "0"};
    EXPECT_EQ(run(argv, 3), 0); /* warms up what the kernel allocates once */
    size_t before = free_plus_heap_pages();
    size_t blocks_before = kernel_heap::stats().used_blocks;
    for (int i = 0; i < 5; ++i)
        EXPECT_EQ(run(argv, 3), 0);
    EXPECT_EQ(free_plus_heap_pages(), before);
    EXPECT_EQ(kernel_heap::stats().used_blocks, blocks_before); /* and no block leaks in the heap */
    EXPECT_EQ(ProcessRegistry::instance().count(), size_t(0));
}

KERNEL_TEST(process, spawn_refuses_missing_files_and_non_programs)
{
    const char* missing[] = {"/bin/no_such_program"};
    EXPECT_EQ(run(missing, 1), -ENOENT);
    const char* text[] = {"/README"};
    EXPECT_EQ(run(text, 1), -ENOEXEC);
    const char* directory[] = {"/bin"};
    EXPECT_EQ(run(directory, 1), -EACCES);
}

KERNEL_TEST(process, wait_without_such_child_is_echild)
{
    Result<CollectedChild> none = ProcessRegistry::instance().wait(0, -1);
    EXPECT(none.is_error() && none.error() == ECHILD);
    Result<CollectedChild> stranger = ProcessRegistry::instance().wait(0, 12345);
    EXPECT(stranger.is_error() && stranger.error() == ECHILD);
}
