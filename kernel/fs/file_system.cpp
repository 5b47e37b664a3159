/* The FileSystem operations with a default: readv()/writev() piece by piece
 * through read()/write() (see file_system.h). */
#include "fs/file_system.h"

Result<size_t> FileSystem::readv(Inode& file, uint64_t offset, const IoVector* vectors, size_t count)
{
    size_t done = 0;
    for (size_t i = 0; i < count; ++i) {
        Result<size_t> got = read(file, offset + done, vectors[i].base, vectors[i].length);
        if (got.is_error())
            return done ? Result<size_t>(done) : Error(got.error());
        done += got.value();
        if (got.value() < vectors[i].length)
            break;
    }
    return done;
}

Result<size_t> FileSystem::writev(Inode& file, uint64_t offset, const IoVector* vectors, size_t count,
                                  StorageAccount* account)
{
    size_t done = 0;
    for (size_t i = 0; i < count; ++i) {
        Result<size_t> put = write(file, offset + done, vectors[i].base, vectors[i].length, account);
        if (put.is_error())
            return done ? Result<size_t>(done) : Error(put.error());
        done += put.value();
        if (put.value() < vectors[i].length)
            break;
    }
    return done;
}
