/* open() and its flags (values: abi/fcntl.h). */
#pragma once
#include <abi/fcntl.h>

extern "C" int open(const char* path, int flags, int mode = 0644);
