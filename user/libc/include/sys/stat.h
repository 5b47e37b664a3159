/* stat(), fstat() and mkdir() (the record: abi/stat.h). */
#pragma once
#include <abi/stat.h>

extern "C" {
int stat(const char* path, struct stat* out);
int fstat(int fd, struct stat* out);
int mkdir(const char* path, int mode = 0755);
}
