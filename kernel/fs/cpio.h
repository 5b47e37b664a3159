/* A reader of cpio archives in the "newc" format (the Linux initramfs format,
 * see the kernel's Documentation/driver-api/early-userspace/buffer-format.rst and
 * cpio(5)): each entry is a 110-byte header of ASCII hex fields, the NUL-terminated
 * name and the data, header+name and data each padded to 4 bytes; the entry named
 * "TRAILER!!!" ends the archive. Pure logic: it only reads the bytes it is given
 * and reports a malformed archive instead of reading past its end. */
#pragma once
#include "lib/string_view.h"

#include <stddef.h>
#include <stdint.h>

enum class CpioStatus {
    ok,                  /* an entry was read */
    end,                 /* the trailer was reached */
    bad_magic,           /* the header does not start with 070701 or 070702 */
    truncated_header,    /* fewer than 110 bytes left for a header */
    bad_number,          /* a header field is not 8 hex digits */
    bad_name,            /* name size 0, or a NUL inside the name */
    truncated_name,      /* the name runs past the end of the archive */
    name_not_terminated, /* the last byte of the name is not NUL */
    truncated_data,      /* the data runs past the end of the archive */
    missing_trailer,     /* the archive ends without "TRAILER!!!" */
};

const char* cpio_status_name(CpioStatus status);

/* cpio mode type bits (the same as struct stat's S_IF*). */
constexpr uint32_t CPIO_TYPE_MASK = 0170000;
constexpr uint32_t CPIO_TYPE_DIRECTORY = 0040000;
constexpr uint32_t CPIO_TYPE_REGULAR = 0100000;

struct CpioEntry {
    StringView name; /* as stored, without the NUL; may start with "./" or "/" */
    uint32_t mode;   /* type and permission bits */
    uint32_t inode;
    uint32_t link_count;
    uint32_t mtime;
    const uint8_t* data;
    size_t size;

    bool is_directory() const { return (mode & CPIO_TYPE_MASK) == CPIO_TYPE_DIRECTORY; }
    bool is_regular() const { return (mode & CPIO_TYPE_MASK) == CPIO_TYPE_REGULAR; }
};

class CpioReader {
public:
    static constexpr size_t HEADER_SIZE = 110;

    CpioReader(const void* archive, size_t size) : archive_(static_cast<const uint8_t*>(archive)), size_(size) {}

    /* Reads the next entry. Once it returns anything but ok, it keeps returning that. */
    [[nodiscard]] CpioStatus next(CpioEntry& entry);

private:
    CpioStatus read_entry(CpioEntry& entry);

    const uint8_t* archive_;
    size_t size_;
    size_t position_ = 0;
    CpioStatus status_ = CpioStatus::ok;
};
