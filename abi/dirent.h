/* The records getdents() writes into the caller's buffer, shared by the kernel,
 * user programs and the hypervisor's file server. Modelled on Linux's
 * linux_dirent64: records lie back to back, each d_reclen bytes long (a multiple
 * of 8, so the next record is aligned), and d_off is the directory's file offset
 * after this record, so lseek(fd, d_off, SEEK_SET) resumes after it. */
#pragma once
#include <stdint.h>

#define DT_UNKNOWN 0
#define DT_DIR 4
#define DT_REG 8

struct dirent {
    uint64_t d_ino;
    uint64_t d_off;
    uint16_t d_reclen;
    uint8_t d_type;   /* DT_DIR or DT_REG */
    char d_name[];    /* NUL-terminated, at most NAME_MAX characters */
};

/* The header is 19 bytes; a record is the header, the name and its NUL, rounded up. */
#define DIRENT_HEADER_SIZE 19
#define DIRENT_RECORD_SIZE(name_length) (((DIRENT_HEADER_SIZE + (name_length) + 1) + 7) & ~7u)

#ifdef __cplusplus
static_assert(__builtin_offsetof(struct dirent, d_name) == DIRENT_HEADER_SIZE, "struct dirent is part of the ABI");
#else
_Static_assert(__builtin_offsetof(struct dirent, d_name) == DIRENT_HEADER_SIZE, "struct dirent is part of the ABI");
#endif
