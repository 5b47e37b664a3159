/* ramfs: directories are lists of (name, inode, cookie); files are lists of
 * page-sized chunks. Link counts follow POSIX: a file has one per name, a
 * directory two (its name and its ".") plus one per subdirectory (their ".."). */
#include "fs/ramfs.h"

#include "lib/kstring.h"
#include "lib/vector.h"

struct RamEntry {
    KString name;
    RefPtr<RamInode> inode;
    /* Increases along the list; readdir resumes by it, so removals never make
     * another entry be skipped. */
    uint64_t cookie = 0;
};

class RamInode final : public Inode {
public:
    RamInode(RamFs& fs, InodeType type, uint32_t mode, RamInode* parent)
        : Inode(fs, fs.next_number_++, type), fs_(fs), mode_(mode & 07777),
          link_count_(type == InodeType::directory ? 2 : 1), parent_(parent)
    {
        ++fs_.inode_count_;
    }
    ~RamInode() override
    {
        for (uint8_t* chunk : chunks_)
            free_chunk(chunk);
        --fs_.inode_count_;
    }

    /* ---- directories */
    RamEntry* find(StringView name)
    {
        for (RamEntry& entry : entries_) {
            if (entry.name.view() == name)
                return &entry;
        }
        return nullptr;
    }
    size_t index_of(const RamEntry* entry) const { return size_t(entry - entries_.begin()); }
    void add_entry(StringView name, RefPtr<RamInode> inode)
    {
        entries_.append(RamEntry{KString(name), inode, next_cookie_++});
    }
    /* A directory removed by rmdir or rename-over has no names left; nothing may be
     * created in it any more, though a process may still have it as its cwd. */
    bool removed() const { return link_count_ == 0; }

    /* ---- regular files: data moves between the chunks and the caller's buffer
     * in pieces that end where a chunk or a vector ends, each byte copied once. */
    template <typename Cursor> Result<size_t> read(uint64_t offset, Cursor cursor, size_t count)
    {
        if (offset >= size_)
            return size_t(0);
        count = min(count, size_t(size_ - offset));
        for (size_t done = 0; done < count;) {
            uint64_t position = offset + done;
            size_t in_chunk = position % RamFs::CHUNK_SIZE;
            size_t piece = min(min(count - done, RamFs::CHUNK_SIZE - in_chunk), cursor.left());
            const uint8_t* chunk = chunks_[position / RamFs::CHUNK_SIZE];
            if (chunk)
                __builtin_memcpy(cursor.at(), chunk + in_chunk, piece);
            else
                __builtin_memset(cursor.at(), 0, piece);
            cursor.advance(piece);
            done += piece;
        }
        return count;
    }

    template <typename Cursor> Result<size_t> write(uint64_t offset, Cursor cursor, size_t count)
    {
        if (offset > RamFs::MAX_FILE_SIZE || count > RamFs::MAX_FILE_SIZE - offset)
            return Error(EFBIG);
        uint64_t end = offset + count;
        size_t chunks_needed = size_t((end + RamFs::CHUNK_SIZE - 1) / RamFs::CHUNK_SIZE);
        if (chunks_needed > chunks_.size())
            chunks_.resize(chunks_needed);
        for (size_t done = 0; done < count;) {
            uint64_t position = offset + done;
            size_t in_chunk = position % RamFs::CHUNK_SIZE;
            size_t piece = min(min(count - done, RamFs::CHUNK_SIZE - in_chunk), cursor.left());
            uint8_t*& chunk = chunks_[position / RamFs::CHUNK_SIZE];
            if (!chunk)
                chunk = allocate_chunk();
            __builtin_memcpy(chunk + in_chunk, cursor.at(), piece);
            cursor.advance(piece);
            done += piece;
        }
        if (end > size_)
            size_ = end;
        return count;
    }

    Result<void> truncate(uint64_t size)
    {
        if (size > RamFs::MAX_FILE_SIZE)
            return Error(EFBIG);
        if (size < size_) {
            size_t chunks_kept = size_t((size + RamFs::CHUNK_SIZE - 1) / RamFs::CHUNK_SIZE);
            for (size_t i = chunks_kept; i < chunks_.size(); ++i)
                free_chunk(chunks_[i]);
            if (chunks_.size() > chunks_kept)
                chunks_.resize(chunks_kept);
            /* The cut-off tail of the last chunk must read as zeros if the file grows again. */
            size_t tail = size % RamFs::CHUNK_SIZE;
            if (tail && chunks_[chunks_kept - 1])
                __builtin_memset(chunks_[chunks_kept - 1] + tail, 0, RamFs::CHUNK_SIZE - tail);
        }
        size_ = size;
        return {};
    }

    RamFs& fs_;
    uint32_t mode_;
    uint32_t link_count_;
    uint64_t size_ = 0;
    Vector<uint8_t*> chunks_;
    Vector<RamEntry> entries_;
    uint64_t next_cookie_ = 0;
    /* Not a reference: the parent holds this directory, not the other way round.
     * Cleared when the directory is removed. */
    RamInode* parent_;

    /* Where the next byte goes in (or comes from): one contiguous buffer, or a
     * list of vectors whose empty members are stepped over. Neither is moved past
     * the count the caller gave. */
    struct BufferCursor {
        uint8_t* next;

        static size_t left() { return RamFs::CHUNK_SIZE; }
        uint8_t* at() const { return next; }
        void advance(size_t bytes) { next += bytes; }
    };
    struct VectorCursor {
        const IoVector* vector;
        size_t used = 0;

        size_t left()
        {
            while (vector->length == used) {
                ++vector;
                used = 0;
            }
            return vector->length - used;
        }
        uint8_t* at() const { return vector->base + used; }
        void advance(size_t bytes) { used += bytes; }
    };

    /* Callers bound the total (the VFS by the buffer it was given, the file
     * server by HYPERCALL_FILE_IO_MAX), so the sum cannot wrap. */
    static size_t total_length(const IoVector* vectors, size_t count)
    {
        size_t total = 0;
        for (size_t i = 0; i < count; ++i)
            total += vectors[i].length;
        return total;
    }

private:
    static size_t min(size_t a, size_t b) { return a < b ? a : b; }

    uint8_t* allocate_chunk()
    {
        /* FIXME: report ENOSPC instead of relying on the heap never failing. */
        uint8_t* chunk = new uint8_t[RamFs::CHUNK_SIZE];
        __builtin_memset(chunk, 0, RamFs::CHUNK_SIZE);
        ++fs_.chunk_count_;
        return chunk;
    }
    void free_chunk(uint8_t*& chunk)
    {
        if (!chunk)
            return;
        delete[] chunk;
        chunk = nullptr;
        --fs_.chunk_count_;
    }
};

RamFs::RamFs() : root_(new RamInode(*this, InodeType::directory, 0755, nullptr)) {}

/* Dropping the root frees the whole tree; inodes that open files still hold stay
 * alive, so the file system must outlive every open file on it. */
RamFs::~RamFs() { root_ = nullptr; }

RefPtr<Inode> RamFs::root() { return root_; }

RamInode& RamFs::own(Inode& inode)
{
    if (&inode.file_system() != this)
        panic("ramfs given an inode of another file system (%s)", inode.file_system().name());
    return static_cast<RamInode&>(inode);
}

RamInode& RamFs::own_directory(Inode& inode)
{
    RamInode& directory = own(inode);
    if (!directory.is_directory())
        panic("ramfs: directory operation on a regular file (inode %lu)", directory.number());
    return directory;
}

Result<RefPtr<Inode>> RamFs::lookup(Inode& directory_inode, StringView name)
{
    RamInode& directory = own_directory(directory_inode);
    if (name == "..") {
        if (directory.removed())
            return Error(ENOENT);
        return RefPtr<Inode>(directory.parent_ ? directory.parent_ : &directory);
    }
    RamEntry* entry = directory.find(name);
    if (!entry)
        return Error(ENOENT);
    return RefPtr<Inode>(entry->inode);
}

Result<RefPtr<Inode>> RamFs::add(Inode& directory_inode, StringView name, InodeType type, uint32_t mode)
{
    RamInode& directory = own_directory(directory_inode);
    if (directory.removed())
        return Error(ENOENT);
    if (directory.find(name))
        return Error(EEXIST);
    RefPtr<RamInode> inode(new RamInode(*this, type, mode, type == InodeType::directory ? &directory : nullptr));
    directory.add_entry(name, inode);
    if (type == InodeType::directory)
        ++directory.link_count_;
    return RefPtr<Inode>(inode);
}

Result<RefPtr<Inode>> RamFs::create(Inode& directory, StringView name, uint32_t mode)
{
    return add(directory, name, InodeType::regular, mode);
}

Result<RefPtr<Inode>> RamFs::mkdir(Inode& directory, StringView name, uint32_t mode)
{
    return add(directory, name, InodeType::directory, mode);
}

Result<void> RamFs::unlink(Inode& directory_inode, StringView name)
{
    RamInode& directory = own_directory(directory_inode);
    RamEntry* entry = directory.find(name);
    if (!entry)
        return Error(ENOENT);
    if (entry->inode->is_directory())
        return Error(EISDIR);
    --entry->inode->link_count_;
    directory.entries_.remove_at(directory.index_of(entry));
    return {};
}

Result<void> RamFs::rmdir(Inode& directory_inode, StringView name)
{
    RamInode& directory = own_directory(directory_inode);
    RamEntry* entry = directory.find(name);
    if (!entry)
        return Error(ENOENT);
    RamInode& victim = *entry->inode;
    if (!victim.is_directory())
        return Error(ENOTDIR);
    if (!victim.entries_.empty())
        return Error(ENOTEMPTY);
    victim.link_count_ = 0;
    victim.parent_ = nullptr;
    --directory.link_count_;
    directory.entries_.remove_at(directory.index_of(entry));
    return {};
}

Result<void> RamFs::rename(Inode& from_inode, StringView from_name, Inode& to_inode, StringView to_name)
{
    RamInode& from = own_directory(from_inode);
    RamInode& to = own_directory(to_inode);
    RamEntry* source_entry = from.find(from_name);
    if (!source_entry)
        return Error(ENOENT);
    if (to.removed())
        return Error(ENOENT);
    RefPtr<RamInode> moving = source_entry->inode;
    if (RamEntry* target = to.find(to_name)) {
        if (target->inode == moving)
            return {};
        if (moving->is_directory()) {
            TRY(rmdir(to, to_name));
        } else {
            if (target->inode->is_directory())
                return Error(EISDIR);
            TRY(unlink(to, to_name));
        }
        source_entry = from.find(from_name); /* the removal moved the list's elements */
    }
    if (&from == &to) {
        source_entry->name = KString(to_name);
        return {};
    }
    from.entries_.remove_at(from.index_of(source_entry));
    to.add_entry(to_name, moving);
    if (moving->is_directory()) {
        --from.link_count_;
        ++to.link_count_;
        moving->parent_ = &to;
    }
    return {};
}

Result<size_t> RamFs::read(Inode& file, uint64_t offset, void* buffer, size_t count)
{
    RamInode& inode = own(file);
    if (inode.is_directory())
        return Error(EISDIR);
    return inode.read(offset, RamInode::BufferCursor{static_cast<uint8_t*>(buffer)}, count);
}

Result<size_t> RamFs::write(Inode& file, uint64_t offset, const void* buffer, size_t count)
{
    RamInode& inode = own(file);
    if (inode.is_directory())
        return Error(EISDIR);
    /* The cursor only carries the address: write() never stores through it. */
    return inode.write(offset, RamInode::BufferCursor{static_cast<uint8_t*>(const_cast<void*>(buffer))}, count);
}

Result<size_t> RamFs::readv(Inode& file, uint64_t offset, const IoVector* vectors, size_t count)
{
    RamInode& inode = own(file);
    if (inode.is_directory())
        return Error(EISDIR);
    return inode.read(offset, RamInode::VectorCursor{vectors}, RamInode::total_length(vectors, count));
}

Result<size_t> RamFs::writev(Inode& file, uint64_t offset, const IoVector* vectors, size_t count)
{
    RamInode& inode = own(file);
    if (inode.is_directory())
        return Error(EISDIR);
    return inode.write(offset, RamInode::VectorCursor{vectors}, RamInode::total_length(vectors, count));
}

Result<void> RamFs::truncate(Inode& file, uint64_t size)
{
    RamInode& inode = own(file);
    if (inode.is_directory())
        return Error(EISDIR);
    return inode.truncate(size);
}

Result<bool> RamFs::readdir(Inode& directory_inode, uint64_t cookie, DirectoryEntry& out)
{
    RamInode& directory = own_directory(directory_inode);
    for (const RamEntry& entry : directory.entries_) {
        if (entry.cookie < cookie)
            continue;
        if (!entry.name.view().copy_to(out.name, sizeof(out.name)))
            panic("ramfs: a name longer than NAME_MAX got in");
        out.inode_number = entry.inode->number();
        out.type = entry.inode->type();
        out.next_cookie = entry.cookie + 1;
        return true;
    }
    return false;
}

Result<void> RamFs::stat(Inode& inode_base, struct stat& out)
{
    RamInode& inode = own(inode_base);
    out = {};
    out.st_ino = inode.number();
    out.st_mode = (inode.is_directory() ? S_IFDIR : S_IFREG) | inode.mode_;
    out.st_nlink = inode.link_count_;
    out.st_size = inode.is_directory() ? inode.entries_.size() : inode.size_;
    return {};
}
