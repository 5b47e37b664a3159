/* Process: the current process and the program break; see process.h. */
#include "process/process.h"

#include "lib/string.h"
#include "loader/loader.h"
#include "mm/page_manager.h"
#include "sched/scheduler.h"

namespace {

constexpr uint64_t PAGE = 0x1000;

uint64_t page_up(uint64_t address) { return (address + PAGE - 1) & ~(PAGE - 1); }

} // namespace

Process* Process::current()
{
    Thread* thread = Scheduler::instance().current();
    return thread ? thread->process() : nullptr;
}

Process::Process(int parent_pid, const char* name) : parent_pid_(parent_pid) { set_name(name); }

void Process::set_name(const char* name)
{
    size_t length = strnlen(name, sizeof(name_) - 1);
    memcpy(name_, name, length);
    name_[length] = '\0';
}

/* Maps zeroed pages for [from, to) (page aligned); on failure unmaps what it
 * mapped and returns false. */
bool Process::grow_heap(uint64_t from, uint64_t to)
{
    for (uint64_t page = from; page < to; page += PAGE) {
        MemoryResult<uint64_t> frame = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
        bool mapped = frame.ok() && memory_.map_page(page, frame.value(), MapFlags::user | MapFlags::writable) == MemoryError::none;
        if (!mapped) {
            if (frame.ok())
                PageManager::instance().free_page(frame.value());
            for (uint64_t undo = from; undo < page; undo += PAGE)
                (void)memory_.unmap_page(undo);
            return false;
        }
    }
    return true;
}

uint64_t Process::set_program_break(uint64_t requested)
{
    if (requested == 0 || requested < break_start_ || requested > loader::STACK_BOTTOM - loader::STACK_GAP)
        return break_;
    uint64_t old_end = page_up(break_);
    uint64_t new_end = page_up(requested);
    if (new_end > old_end && !grow_heap(old_end, new_end))
        return break_;
    for (uint64_t page = new_end; page < old_end; page += PAGE)
        (void)memory_.unmap_page(page);
    break_ = requested;
    return break_;
}
