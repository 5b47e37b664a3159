/* An inode: one file or directory of one file system, in memory. The file system
 * creates it and does everything to it (FileSystem's methods); the VFS only holds
 * references and asks its type and number. */
#pragma once
#include "lib/ref_ptr.h"

#include <stdint.h>

class FileSystem;

enum class InodeType : uint8_t { regular, directory };

class Inode : public RefCounted<Inode> {
public:
    Inode(FileSystem& file_system, uint64_t number, InodeType type)
        : file_system_(file_system), number_(number), type_(type)
    {
    }
    virtual ~Inode() = default;
    Inode(const Inode&) = delete;
    Inode& operator=(const Inode&) = delete;

    FileSystem& file_system() const { return file_system_; }
    uint64_t number() const { return number_; }
    InodeType type() const { return type_; }
    bool is_directory() const { return type_ == InodeType::directory; }

private:
    FileSystem& file_system_;
    uint64_t number_;
    InodeType type_;
};
