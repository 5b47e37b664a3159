/* ramfs: directories are lists of (name, inode, cookie); a file's data pages hang
 * off leaves, each a page itself, held in a list sorted by leaf number. Link
 * counts follow POSIX: a file has one per name, a directory two (its name and its
 * ".") plus one per subdirectory (their "..").
 * Nothing here panics on a path a user program or a guest reaches: every
 * allocation is fallible and checked before anything visible changes. */
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

/* One page of a file's page table, itself a file page (never heap): where SLOTS
 * consecutive data pages of the file are, and which account paid for each and
 * for the leaf (nullptr: the host). An account is referenced by hand from every
 * page it paid for, so it outlives them even when its VM has ended. */
struct RamLeaf {
    static constexpr size_t SLOTS = 255;

    uint8_t* data[SLOTS];
    StorageAccount* payer[SLOTS];
    StorageAccount* leaf_payer;
    uint64_t used; /* data pages present */
};
static_assert(sizeof(RamLeaf) == RamFs::CHUNK_SIZE, "a leaf is one page");

struct RamLeafRef {
    uint64_t number; /* covers data pages number * SLOTS .. + SLOTS - 1 */
    RamLeaf* leaf;
};

class RamInode final : public Inode {
public:
    RamInode(RamFs& fs, InodeType type, uint32_t mode, RamInode* parent)
        : Inode(fs, fs.next_number_++, type), fs_(fs), mode_(mode & 07777),
          link_count_(type == InodeType::directory ? 2 : 1), parent_(parent)
    {
        ++fs_.inode_count_;
    }
    /* The inode's own charge and every page's go back to whoever paid, however
     * long after the last name went (an unlinked file stays charged while open). */
    ~RamInode() override
    {
        drop_pages_from(0);
        if (owner_)
            owner_->release_file();
        --fs_.inode_count_;
    }

    /* Takes over a file charge already made to `account` (may be nullptr). */
    void set_owner(StorageAccount* account) { owner_ = account; }

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
    /* ENOMEM (and the directory unchanged) when the name or the list cannot grow. */
    Result<void> add_entry(StringView name, const RefPtr<RamInode>& inode)
    {
        KString copy;
        if (!KString::try_copy(name, copy))
            return Error(ENOMEM);
        if (!entries_.try_append(RamEntry{static_cast<KString&&>(copy), inode, next_cookie_}))
            return Error(ENOMEM);
        ++next_cookie_;
        return {};
    }
    /* A directory removed by rmdir or rename-over has no names left; nothing may be
     * created in it any more, though a process may still have it as its cwd. */
    bool removed() const { return link_count_ == 0; }

    /* ---- regular files: data moves between the pages and the caller's buffer
     * in pieces that end where a page or a vector ends, each byte copied once.
     * Invariant: every byte of a page past size_ is zero, so growing the file (a
     * write past the end, truncate up) never shows old data. */
    template <typename Cursor> Result<size_t> read(uint64_t offset, Cursor cursor, size_t count)
    {
        if (offset >= size_)
            return size_t(0);
        count = min(count, size_t(size_ - offset));
        for (size_t done = 0; done < count;) {
            uint64_t position = offset + done;
            size_t in_page = position % RamFs::CHUNK_SIZE;
            size_t piece = min(min(count - done, RamFs::CHUNK_SIZE - in_page), cursor.left());
            const uint8_t* page = page_at(position / RamFs::CHUNK_SIZE);
            if (page)
                __builtin_memcpy(cursor.at(), page + in_page, piece);
            else
                __builtin_memset(cursor.at(), 0, piece);
            cursor.advance(piece);
            done += piece;
        }
        return count;
    }

    /* Pages are taken one at a time as the bytes reach them, so a write that runs
     * out of space stops at a page boundary with what it wrote (the file grows by
     * exactly that), and one that could not write a byte fails with nothing changed. */
    template <typename Cursor> Result<size_t> write(uint64_t offset, Cursor cursor, size_t count,
                                                    StorageAccount* account)
    {
        if (offset > RamFs::MAX_FILE_SIZE || count > RamFs::MAX_FILE_SIZE - offset)
            return Error(EFBIG);
        size_t done = 0;
        while (done < count) {
            uint64_t position = offset + done;
            size_t in_page = position % RamFs::CHUNK_SIZE;
            size_t piece = min(min(count - done, RamFs::CHUNK_SIZE - in_page), cursor.left());
            Result<uint8_t*> page = page_for_write(position / RamFs::CHUNK_SIZE, account);
            if (page.is_error()) {
                if (done == 0)
                    return Error(page.error());
                break;
            }
            __builtin_memcpy(page.value() + in_page, cursor.at(), piece);
            cursor.advance(piece);
            done += piece;
        }
        if (offset + done > size_)
            size_ = offset + done;
        return done;
    }

    /* Never allocates: shrinking frees the pages past the end and zeroes the cut
     * tail of the last one; growing only moves the size (a hole). */
    Result<void> truncate(uint64_t size)
    {
        if (size > RamFs::MAX_FILE_SIZE)
            return Error(EFBIG);
        if (size < size_) {
            drop_pages_from((size + RamFs::CHUNK_SIZE - 1) / RamFs::CHUNK_SIZE);
            size_t tail = size % RamFs::CHUNK_SIZE;
            if (tail) {
                if (uint8_t* last = page_at(size / RamFs::CHUNK_SIZE))
                    __builtin_memset(last + tail, 0, RamFs::CHUNK_SIZE - tail);
            }
        }
        size_ = size;
        return {};
    }

    RamFs& fs_;
    uint32_t mode_;
    uint32_t link_count_;
    uint64_t size_ = 0;
    /* Sorted by number, no number twice, no leaf without a data page. */
    Vector<RamLeafRef> leaves_;
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

    /* The position in leaves_ of the first leaf numbered `number` or more. */
    size_t first_leaf_from(uint64_t number) const
    {
        size_t low = 0, high = leaves_.size();
        while (low < high) {
            size_t middle = low + (high - low) / 2;
            if (leaves_[middle].number < number)
                low = middle + 1;
            else
                high = middle;
        }
        return low;
    }
    RamLeaf* leaf_at(uint64_t number) const
    {
        size_t at = first_leaf_from(number);
        return at < leaves_.size() && leaves_[at].number == number ? leaves_[at].leaf : nullptr;
    }
    uint8_t* page_at(uint64_t index) const
    {
        RamLeaf* leaf = leaf_at(index / RamLeaf::SLOTS);
        return leaf ? leaf->data[index % RamLeaf::SLOTS] : nullptr;
    }

    /* A zeroed file page charged to `account`: ENOSPC past its limit or when no
     * ordinary page is left, with nothing kept charged. */
    static Result<uint8_t*> take_page(StorageAccount* account)
    {
        if (account)
            TRY(account->charge_bytes(RamFs::CHUNK_SIZE));
        uint8_t* page = file_pages::allocate();
        if (!page) {
            if (account)
                account->release_bytes(RamFs::CHUNK_SIZE);
            return Error(ENOSPC);
        }
        if (account)
            account->ref();
        return page;
    }
    static void give_page(uint8_t* page, StorageAccount* payer)
    {
        file_pages::free(page);
        if (payer) {
            payer->release_bytes(RamFs::CHUNK_SIZE);
            payer->unref();
        }
    }

    /* The leaf `number`, made when missing: ENOSPC (no page), ENOMEM (the list
     * cannot grow), and nothing changed on failure. */
    Result<RamLeaf*> leaf_for_write(uint64_t number, StorageAccount* account)
    {
        size_t at = first_leaf_from(number);
        if (at < leaves_.size() && leaves_[at].number == number)
            return leaves_[at].leaf;
        auto* leaf = reinterpret_cast<RamLeaf*>(TRY(take_page(account)));
        if (!leaves_.try_append(RamLeafRef{})) {
            give_page(reinterpret_cast<uint8_t*>(leaf), account);
            return Error(ENOMEM);
        }
        for (size_t i = leaves_.size() - 1; i > at; --i)
            leaves_[i] = leaves_[i - 1];
        leaves_[at] = RamLeafRef{number, leaf};
        leaf->leaf_payer = account;
        return leaf;
    }

    /* The data page `index`, made (zeroed, charged to `account`) when it is a
     * hole. The data page is taken before a new leaf, so a failure of either
     * leaves the file as it was. */
    Result<uint8_t*> page_for_write(uint64_t index, StorageAccount* account)
    {
        if (uint8_t* page = page_at(index))
            return page;
        uint8_t* page = TRY(take_page(account));
        Result<RamLeaf*> leaf = leaf_for_write(index / RamLeaf::SLOTS, account);
        if (leaf.is_error()) {
            give_page(page, account);
            return Error(leaf.error());
        }
        size_t slot = index % RamLeaf::SLOTS;
        leaf.value()->data[slot] = page;
        leaf.value()->payer[slot] = account;
        ++leaf.value()->used;
        ++fs_.chunk_count_;
        return page;
    }

    /* Frees every data page whose index is `index` or more, and every leaf left
     * empty, from the end of the file. */
    void drop_pages_from(uint64_t index)
    {
        while (!leaves_.empty()) {
            RamLeafRef last = leaves_[leaves_.size() - 1];
            uint64_t first = last.number * RamLeaf::SLOTS;
            if (first + RamLeaf::SLOTS <= index)
                break;
            for (size_t slot = index > first ? size_t(index - first) : 0; slot < RamLeaf::SLOTS; ++slot) {
                if (!last.leaf->data[slot])
                    continue;
                give_page(last.leaf->data[slot], last.leaf->payer[slot]);
                last.leaf->data[slot] = nullptr;
                --last.leaf->used;
                --fs_.chunk_count_;
            }
            if (last.leaf->used)
                break;
            leaves_.remove_at(leaves_.size() - 1);
            give_page(reinterpret_cast<uint8_t*>(last.leaf), last.leaf->leaf_payer);
        }
    }

    /* The account charged for this inode; nullptr for the host's. */
    RefPtr<StorageAccount> owner_;
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

/* In order: the checks, the account's charge, the inode, the entry. Each step
 * that fails undoes the ones before it (dropping the new inode releases its
 * charge), so a failed call leaves the directory and the account as they were. */
Result<RefPtr<Inode>> RamFs::add(Inode& directory_inode, StringView name, InodeType type, uint32_t mode,
                                 StorageAccount* account)
{
    RamInode& directory = own_directory(directory_inode);
    if (directory.removed())
        return Error(ENOENT);
    if (directory.find(name))
        return Error(EEXIST);
    if (account)
        TRY(account->charge_file());
    RamInode* made = new (std::nothrow) RamInode(*this, type, mode, type == InodeType::directory ? &directory : nullptr);
    if (!made) {
        if (account)
            account->release_file();
        return Error(ENOMEM);
    }
    made->set_owner(account);
    RefPtr<RamInode> inode(made);
    TRY(directory.add_entry(name, inode));
    if (type == InodeType::directory)
        ++directory.link_count_;
    return RefPtr<Inode>(inode);
}

Result<RefPtr<Inode>> RamFs::create(Inode& directory, StringView name, uint32_t mode, StorageAccount* account)
{
    return add(directory, name, InodeType::regular, mode, account);
}

Result<RefPtr<Inode>> RamFs::mkdir(Inode& directory, StringView name, uint32_t mode, StorageAccount* account)
{
    return add(directory, name, InodeType::directory, mode, account);
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

/* Every check and the one allocation (the new name) come first, so a failure
 * changes nothing; a replaced target's entry is reused in place, which needs no
 * memory at all. */
Result<void> RamFs::rename(Inode& from_inode, StringView from_name, Inode& to_inode, StringView to_name)
{
    RamInode& from = own_directory(from_inode);
    RamInode& to = own_directory(to_inode);
    RamEntry* source = from.find(from_name);
    if (!source)
        return Error(ENOENT);
    if (to.removed())
        return Error(ENOENT);
    RefPtr<RamInode> moving = source->inode;
    RamEntry* target = to.find(to_name);
    if (target) {
        RamInode& victim = *target->inode;
        if (&victim == moving.get())
            return {};
        if (moving->is_directory() && !victim.is_directory())
            return Error(ENOTDIR);
        if (!moving->is_directory() && victim.is_directory())
            return Error(EISDIR);
        if (victim.is_directory() && !victim.entries_.empty())
            return Error(ENOTEMPTY);
    } else if (&from == &to) {
        KString name;
        if (!KString::try_copy(to_name, name))
            return Error(ENOMEM);
        source->name = static_cast<KString&&>(name);
        return {};
    } else {
        TRY(to.add_entry(to_name, moving));
    }

    if (target) {
        RefPtr<RamInode> victim = target->inode;
        if (victim->is_directory()) {
            victim->link_count_ = 0;
            victim->parent_ = nullptr;
            --to.link_count_;
        } else {
            --victim->link_count_;
        }
        target->inode = moving;
    }
    from.entries_.remove_at(from.index_of(source));
    if (moving->is_directory() && &from != &to) {
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

Result<size_t> RamFs::write(Inode& file, uint64_t offset, const void* buffer, size_t count, StorageAccount* account)
{
    RamInode& inode = own(file);
    if (inode.is_directory())
        return Error(EISDIR);
    /* The cursor only carries the address: write() never stores through it. */
    return inode.write(offset, RamInode::BufferCursor{static_cast<uint8_t*>(const_cast<void*>(buffer))}, count,
                        account);
}

Result<size_t> RamFs::readv(Inode& file, uint64_t offset, const IoVector* vectors, size_t count)
{
    RamInode& inode = own(file);
    if (inode.is_directory())
        return Error(EISDIR);
    return inode.read(offset, RamInode::VectorCursor{vectors}, RamInode::total_length(vectors, count));
}

Result<size_t> RamFs::writev(Inode& file, uint64_t offset, const IoVector* vectors, size_t count,
                             StorageAccount* account)
{
    RamInode& inode = own(file);
    if (inode.is_directory())
        return Error(EISDIR);
    return inode.write(offset, RamInode::VectorCursor{vectors}, RamInode::total_length(vectors, count), account);
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
