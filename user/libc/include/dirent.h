/* getdents() and its records (abi/dirent.h): records lie back to back in the
 * buffer, each d_reclen bytes long. */
#pragma once
#include <abi/dirent.h>
#include <abi/limits.h>
#include <sys/types.h>

extern "C" ssize_t getdents(int fd, void* buffer, size_t size);
