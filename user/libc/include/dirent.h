/* getdents() and its records (abi/dirent.h): records lie back to back in the
 * buffer, each d_reclen bytes long. */
#pragma once
#include <abi/dirent.h>
#include <abi/limits.h>
#include <sys/types.h>

extern "C" ssize_t getdents(int fd, void* buffer, size_t size);
/* Entries of the directory `path` besides . and ..; -1 (errno set) on an error. */
int count_directory_entries(const char* path);
