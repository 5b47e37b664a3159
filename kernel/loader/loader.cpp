/* The kernel side of loading a program; see loader.h. */
#include "loader/loader.h"

#include "console/log.h"
#include "lib/string.h"
#include "loader/elf64.h"
#include "mm/direct_map.h"
#include "mm/kernel_heap.h"
#include "mm/page_manager.h"

namespace loader {

namespace {

constexpr uint64_t PAGE = 0x1000;

/* The whole file in a heap buffer. */
class FileBytes {
public:
    ~FileBytes() { kfree(bytes_); }
    Result<void> read(VfsSyscall& vfs, const char* path);
    const uint8_t* bytes() const { return bytes_; }
    size_t size() const { return size_; }

private:
    uint8_t* bytes_ = nullptr;
    size_t size_ = 0;
};

Result<void> FileBytes::read(VfsSyscall& vfs, const char* path)
{
    int fd = TRY(vfs.open(path, O_RDONLY));
    struct stat status;
    Result<void> stat_result = vfs.fstat(fd, status);
    bool is_directory = !stat_result.is_error() && S_ISDIR(status.st_mode);
    if (stat_result.is_error() || is_directory) {
        (void)vfs.close(fd);
        return Error(is_directory ? EACCES : stat_result.error());
    }
    size_ = size_t(status.st_size);
    bytes_ = static_cast<uint8_t*>(kmalloc(size_ ? size_ : 1));
    if (!bytes_) {
        (void)vfs.close(fd);
        return Error(ENOMEM);
    }
    size_t done = 0;
    while (done < size_) {
        Result<size_t> got = vfs.read(fd, bytes_ + done, size_ - done);
        if (got.is_error() || got.value() == 0) {
            (void)vfs.close(fd);
            return Error(got.is_error() ? got.error() : EIO);
        }
        done += got.value();
    }
    return vfs.close(fd);
}

MapFlags segment_flags(const elf64::Segment& segment)
{
    MapFlags flags = MapFlags::user;
    if (segment.writable)
        flags = flags | MapFlags::writable;
    if (segment.executable)
        flags = flags | MapFlags::executable;
    return flags;
}

/* Every page of the segment gets a zeroed frame with the file bytes that fall
 * into it; what lies beyond p_filesz stays zero (the bss). */
Result<void> map_segment(ArchMemory& memory, const elf64::Segment& segment, const uint8_t* file)
{
    uint64_t file_start = segment.virtual_address;
    uint64_t file_end = segment.virtual_address + segment.file_size;
    for (uint64_t page = segment.first_page(); page < segment.end_page(); page += PAGE) {
        MemoryResult<uint64_t> frame = PageManager::instance().allocate_zeroed_page(PageClaim::ordinary);
        if (!frame.ok())
            return Error(ENOMEM);
        uint64_t from = page > file_start ? page : file_start;
        uint64_t to = page + PAGE < file_end ? page + PAGE : file_end;
        if (from < to)
            memcpy(phys_to_virt<uint8_t>(frame.value()) + (from - page), file + segment.file_offset + (from - file_start),
                   to - from);
        if (memory.map_page(page, frame.value(), segment_flags(segment)) != MemoryError::none) {
            PageManager::instance().free_page(frame.value());
            return Error(ENOMEM);
        }
    }
    return {};
}

/* The stack as one contiguous run of frames, so user_stack::build can write it
 * through the direct map in one piece; each frame is then mapped on its own
 * (and freed on its own by ArchMemory). */
Result<uint64_t> map_stack(ArchMemory& memory, const user_stack::StringList& argv, const user_stack::StringList& envp)
{
    constexpr size_t SIZE = STACK_PAGES * PAGE;
    MemoryResult<uint64_t> frames = PageManager::instance().allocate_pages(STACK_PAGES, PAGE, PageClaim::ordinary);
    if (!frames.ok())
        return Error(ENOMEM);
    uint8_t* buffer = phys_to_virt<uint8_t>(frames.value());
    memset(buffer, 0, SIZE);
    user_stack::StackResult stack = user_stack::build(argv, envp, buffer, SIZE, STACK_TOP);
    uint64_t page = 0;
    if (stack.ok()) {
        for (; page < STACK_PAGES; ++page) {
            uint64_t address = STACK_BOTTOM + page * PAGE;
            if (memory.map_page(address, frames.value() + page * PAGE, MapFlags::user | MapFlags::writable) != MemoryError::none)
                break;
        }
    }
    if (page < STACK_PAGES) {
        /* The pages already mapped belong to `memory` now; free the rest. */
        PageManager::instance().free_pages(frames.value() + page * PAGE, STACK_PAGES - page);
        return Error(stack.ok() ? ENOMEM : E2BIG);
    }
    return stack.stack_pointer;
}

uint64_t page_up(uint64_t address) { return (address + PAGE - 1) & ~(PAGE - 1); }

} // namespace

Result<LoadedProgram> load(VfsSyscall& vfs, const char* path, const user_stack::StringList& argv,
                           const user_stack::StringList& envp)
{
    FileBytes file;
    TRY(file.read(vfs, path));
    elf64::ParseResult parsed = elf64::parse(file.bytes(), file.size());
    if (!parsed.ok()) {
        log(LogCategory::user, "loader: %s is no program: %s", path, elf64::elf_error_name(parsed.error));
        return Error(ENOEXEC);
    }
    const elf64::Image& image = parsed.image;
    MemoryResult<ArchMemory> created = ArchMemory::create_user_space();
    if (!created.ok())
        return Error(ENOMEM);
    LoadedProgram program;
    program.memory = created.take();
    program.entry = image.entry;
    for (size_t i = 0; i < image.segment_count; ++i) {
        const elf64::Segment& segment = image.segments[i];
        if (segment.end_page() > STACK_BOTTOM - STACK_GAP)
            return Error(ENOEXEC);
        TRY(map_segment(program.memory, segment, file.bytes()));
        if (segment.end_page() > program.break_start)
            program.break_start = page_up(segment.end_page());
    }
    program.stack_pointer = TRY(map_stack(program.memory, argv, envp));
    return program;
}

} // namespace loader
