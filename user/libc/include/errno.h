/* errno: set by the libc wrappers when a system call fails (values: abi/errno.h). */
#pragma once
#include <abi/errno.h>

extern "C" int errno;
