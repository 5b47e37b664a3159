/* cpio "newc" reader. Every length from the archive is checked against the bytes
 * that remain before it is used, so a hostile or truncated archive yields an
 * error status, never a read out of bounds. */
#include "fs/cpio.h"

namespace {

constexpr size_t FIELD_LENGTH = 8;
constexpr size_t MAGIC_LENGTH = 6;
/* Field indices after the magic, in header order. */
enum Field { ino, mode, uid, gid, nlink, mtime, filesize, devmajor, devminor, rdevmajor, rdevminor, namesize, check };

bool parse_hex(const uint8_t* text, uint32_t& value)
{
    value = 0;
    for (size_t i = 0; i < FIELD_LENGTH; ++i) {
        uint8_t c = text[i];
        uint32_t digit;
        if (c >= '0' && c <= '9')
            digit = c - '0';
        else if (c >= 'a' && c <= 'f')
            digit = c - 'a' + 10;
        else if (c >= 'A' && c <= 'F')
            digit = c - 'A' + 10;
        else
            return false;
        value = value << 4 | digit;
    }
    return true;
}

size_t align4(size_t offset) { return (offset + 3) & ~size_t(3); }

} // namespace

const char* cpio_status_name(CpioStatus status)
{
    switch (status) {
    case CpioStatus::ok: return "ok";
    case CpioStatus::end: return "end of archive";
    case CpioStatus::bad_magic: return "bad magic";
    case CpioStatus::truncated_header: return "truncated header";
    case CpioStatus::bad_number: return "header field is not hexadecimal";
    case CpioStatus::bad_name: return "bad name";
    case CpioStatus::truncated_name: return "name past the end of the archive";
    case CpioStatus::name_not_terminated: return "name not NUL-terminated";
    case CpioStatus::truncated_data: return "data past the end of the archive";
    case CpioStatus::missing_trailer: return "no TRAILER!!! entry";
    }
    return "unknown cpio status";
}

CpioStatus CpioReader::next(CpioEntry& entry)
{
    if (status_ == CpioStatus::ok)
        status_ = read_entry(entry);
    return status_;
}

CpioStatus CpioReader::read_entry(CpioEntry& entry)
{
    if (position_ == size_)
        return CpioStatus::missing_trailer;
    if (size_ - position_ < HEADER_SIZE)
        return CpioStatus::truncated_header;
    const uint8_t* header = archive_ + position_;
    if (__builtin_memcmp(header, "07070", 5) != 0 || (header[5] != '1' && header[5] != '2'))
        return CpioStatus::bad_magic;
    uint32_t fields[check + 1];
    for (int i = 0; i <= check; ++i) {
        if (!parse_hex(header + MAGIC_LENGTH + i * FIELD_LENGTH, fields[i]))
            return CpioStatus::bad_number;
    }

    size_t name_start = position_ + HEADER_SIZE;
    size_t name_size = fields[namesize];
    if (name_size == 0)
        return CpioStatus::bad_name;
    if (name_size > size_ - name_start)
        return CpioStatus::truncated_name;
    const char* name = reinterpret_cast<const char*>(archive_ + name_start);
    if (name[name_size - 1] != '\0')
        return CpioStatus::name_not_terminated;
    if (__builtin_strlen(name) != name_size - 1)
        return CpioStatus::bad_name;

    size_t data_start = align4(name_start + name_size);
    size_t data_size = fields[filesize];
    if (data_start > size_ || data_size > size_ - data_start)
        return CpioStatus::truncated_data;

    entry.name = StringView(name, name_size - 1);
    entry.mode = fields[mode];
    entry.inode = fields[ino];
    entry.link_count = fields[nlink];
    entry.mtime = fields[mtime];
    entry.data = archive_ + data_start;
    entry.size = data_size;
    /* The padding after the last entry may be missing: clamp instead of failing. */
    position_ = align4(data_start + data_size);
    if (position_ > size_)
        position_ = size_;
    if (entry.name == "TRAILER!!!")
        return CpioStatus::end;
    return CpioStatus::ok;
}
