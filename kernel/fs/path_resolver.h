/* Path resolution: from a path string to an inode, in a VfsContext. Absolute paths
 * start at the context's root, relative ones at its cwd; "." stays, ".." goes up
 * but never above the root; repeated slashes count as one; a trailing slash
 * demands a directory (ENOTDIR). A component longer than NAME_MAX or a path of
 * PATH_MAX or more characters is ENAMETOOLONG, an empty path ENOENT (POSIX.1-2017,
 * Base Definitions 4.13 "Pathname Resolution").
 *
 * In a confined context (VfsContext::confined(), a VM's file server) a relative
 * path resolves only from a cwd that is still beneath the root, judged by the
 * inodes at the time of the call: a directory that anyone renamed out of the root
 * since it became the cwd resolves nothing (ENOENT, as a removed directory would),
 * so no rename, by the VM, another VM or a host program, opens a way out (like
 * Linux's openat2 RESOLVE_BENEATH). The caller holds the file-system lock. */
#pragma once
#include "fs/vfs_context.h"

/* A path split into the directory that holds its last component and that name. */
struct ParentAndName {
    RefPtr<Inode> directory;
    /* The last component, a view into the path; empty when the path names the
     * context's root ("/", "//"); may be "." or "..", which callers that create or
     * remove names must refuse. */
    StringView name;
    bool trailing_slash = false;
};

/* The inode a path names. */
[[nodiscard]] Result<RefPtr<Inode>> resolve_path(const VfsContext& context, const char* path);
/* Resolves all but the last component; the last one need not exist. */
[[nodiscard]] Result<ParentAndName> resolve_parent(const VfsContext& context, const char* path);
/* One step: `name` (a single component, "." and ".." included) in `directory`,
 * entering mounts on the way down and leaving them on the way up. */
[[nodiscard]] Result<RefPtr<Inode>> resolve_step(const VfsContext& context, const RefPtr<Inode>& directory, StringView name);
/* The parent directory of `directory` across mounts, without a ceiling; `directory`
 * itself at the top of the tree. ENOENT for a removed directory. */
[[nodiscard]] Result<RefPtr<Inode>> parent_directory(const Vfs& vfs, const RefPtr<Inode>& directory);

/* Whether `inode` is the directory `ancestor` or lies beneath it, following ".."
 * (across mounts) up from it; false for a regular file other than `ancestor` and
 * for a removed directory. Costs one step per level of depth. */
[[nodiscard]] bool is_beneath(const Vfs& vfs, const RefPtr<Inode>& inode, const RefPtr<Inode>& ancestor);

inline bool is_dot_or_dot_dot(StringView name) { return name == "." || name == ".."; }
