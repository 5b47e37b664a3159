/* /dev; see terminal_fs.h. */
#include "terminal/terminal_fs.h"

#include "lib/string.h"

TerminalFs::TerminalFs() : root_(new Inode(*this, ROOT_NUMBER, InodeType::directory)) {}

void TerminalFs::add(Terminal& terminal)
{
    if (count_ == MAX_TERMINALS)
        panic("TerminalFs: more than %zu terminals", MAX_TERMINALS);
    terminals_[count_] = &terminal;
    inodes_[count_] = RefPtr<Inode>(new Inode(*this, ROOT_NUMBER + 1 + count_, InodeType::regular));
    ++count_;
}

Terminal* TerminalFs::terminal_of(const Inode& inode) const
{
    if (&inode.file_system() != this || inode.number() <= ROOT_NUMBER || inode.number() > ROOT_NUMBER + count_)
        return nullptr;
    return terminals_[inode.number() - ROOT_NUMBER - 1];
}

Result<RefPtr<Inode>> TerminalFs::lookup(Inode& directory, StringView name)
{
    if (&directory != root_.get())
        return Error(ENOTDIR);
    if (name == "..")
        return root_;
    for (size_t i = 0; i < count_; ++i) {
        if (name == terminals_[i]->name())
            return inodes_[i];
    }
    return Error(ENOENT);
}

Result<size_t> TerminalFs::read(Inode& file, uint64_t, void* buffer, size_t count)
{
    Terminal* terminal = terminal_of(file);
    if (!terminal)
        return Error(EISDIR);
    return terminal->read(static_cast<char*>(buffer), count);
}

Result<size_t> TerminalFs::write(Inode& file, uint64_t, const void* buffer, size_t count, StorageAccount*)
{
    Terminal* terminal = terminal_of(file);
    if (!terminal)
        return Error(EISDIR);
    terminal->write(static_cast<const char*>(buffer), count);
    return count;
}

Result<bool> TerminalFs::readdir(Inode& directory, uint64_t cookie, DirectoryEntry& entry)
{
    if (&directory != root_.get())
        return Error(ENOTDIR);
    if (cookie >= count_)
        return false;
    StringView(terminals_[cookie]->name()).copy_to(entry.name, sizeof(entry.name));
    entry.inode_number = inodes_[cookie]->number();
    entry.type = InodeType::regular;
    entry.next_cookie = cookie + 1;
    return true;
}

Result<void> TerminalFs::stat(Inode& inode, struct stat& out)
{
    out = {};
    out.st_ino = inode.number();
    bool is_root = &inode == root_.get();
    out.st_mode = is_root ? S_IFDIR | 0755 : S_IFCHR | 0620;
    out.st_nlink = is_root ? 2 : 1;
    out.st_size = is_root ? count_ : 0;
    return {};
}
