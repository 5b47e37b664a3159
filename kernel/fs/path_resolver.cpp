/* Path resolution, component by component (POSIX.1-2017, Base Definitions 4.13). */
#include "fs/path_resolver.h"

#include "abi/limits.h"

namespace {

/* Splits a path at slashes, skipping empty components ("a//b", "/a/"). */
class PathComponents {
public:
    explicit PathComponents(StringView path) : path_(path) {}

    bool next(StringView& component)
    {
        while (position_ < path_.length() && path_[position_] == '/')
            ++position_;
        if (position_ == path_.length())
            return false;
        size_t start = position_;
        while (position_ < path_.length() && path_[position_] != '/')
            ++position_;
        component = path_.substring(start, position_ - start);
        return true;
    }
    bool at_end()
    {
        size_t saved = position_;
        StringView ignored;
        bool more = next(ignored);
        position_ = saved;
        return !more;
    }

private:
    StringView path_;
    size_t position_ = 0;
};

Result<StringView> checked_path(const char* path)
{
    if (!path)
        return Error(EFAULT);
    size_t length = __builtin_strnlen(path, PATH_MAX);
    if (length == PATH_MAX)
        return Error(ENAMETOOLONG);
    if (length == 0)
        return Error(ENOENT);
    return StringView(path, length);
}

} // namespace

Result<RefPtr<Inode>> parent_directory(const Vfs& vfs, const RefPtr<Inode>& directory)
{
    /* Leave mounts first: the parent of a mounted root is the covered directory's parent. */
    RefPtr<Inode> current = directory;
    while (current == current->file_system().root()) {
        RefPtr<Inode> covered = vfs.mount_point_of(current->file_system());
        if (!covered)
            return current;
        current = covered;
    }
    return current->file_system().lookup(*current, "..");
}

bool is_beneath(const Vfs& vfs, const RefPtr<Inode>& inode, const RefPtr<Inode>& ancestor)
{
    /* Terminates: the tree has no cycles (rename refuses to move a directory
     * into itself), so the walk ends at the top, where the parent is the same. */
    RefPtr<Inode> current = inode;
    while (current != ancestor) {
        if (!current->is_directory())
            return false;
        Result<RefPtr<Inode>> parent = parent_directory(vfs, current);
        if (parent.is_error() || parent.value() == current)
            return false;
        current = parent.release_value();
    }
    return true;
}

Result<RefPtr<Inode>> resolve_step(const VfsContext& context, const RefPtr<Inode>& directory, StringView name)
{
    if (!directory->is_directory())
        return Error(ENOTDIR);
    if (name.length() > NAME_MAX)
        return Error(ENAMETOOLONG);
    if (name == ".")
        return directory;
    if (name == "..") {
        if (directory == context.root())
            return directory;
        return parent_directory(context.vfs(), directory);
    }
    RefPtr<Inode> child = TRY(directory->file_system().lookup(*directory, name));
    return context.vfs().enter_mounts(child);
}

Result<ParentAndName> resolve_parent(const VfsContext& context, const char* path)
{
    StringView text = TRY(checked_path(path));
    ParentAndName result;
    result.directory = text[0] == '/' ? context.root() : context.cwd();
    /* The one check confinement needs: the caller holds the file-system lock, so
     * nothing moves during this walk, and from a start beneath the root every step
     * down stays beneath it and every ".." short of the root does too. Only the
     * start can have been carried out (a directory handle or cwd that someone
     * renamed out of the root): it then resolves nothing, as if removed. */
    if (context.confined() && result.directory != context.root() &&
        !is_beneath(context.vfs(), result.directory, context.root()))
        return Error(ENOENT);
    result.trailing_slash = text[text.length() - 1] == '/';
    PathComponents components(text);
    StringView component;
    while (components.next(component)) {
        if (component.length() > NAME_MAX)
            return Error(ENAMETOOLONG);
        if (components.at_end()) {
            result.name = component;
            break;
        }
        result.directory = TRY(resolve_step(context, result.directory, component));
    }
    if (!result.directory->is_directory())
        return Error(ENOTDIR);
    return result;
}

Result<RefPtr<Inode>> resolve_path(const VfsContext& context, const char* path)
{
    ParentAndName parent = TRY(resolve_parent(context, path));
    if (parent.name.empty())
        return parent.directory;
    RefPtr<Inode> inode = TRY(resolve_step(context, parent.directory, parent.name));
    if (parent.trailing_slash && !inode->is_directory())
        return Error(ENOTDIR);
    return inode;
}
