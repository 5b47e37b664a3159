"""cpio archives in the "newc" format, as the kernel's initrd reader
(kernel/fs/cpio.cpp) expects them: a 110-byte header of ASCII hex fields
(magic 070701), the NUL-terminated name, the data; header+name and data each
padded to 4 bytes; an entry named TRAILER!!! at the end (see cpio(5) and Linux's
Documentation/driver-api/early-userspace/buffer-format.rst)."""
from __future__ import annotations

import stat
from dataclasses import dataclass

MAGIC = b"070701"
HEADER_SIZE = 110
TRAILER = "TRAILER!!!"
FIELDS = ("ino", "mode", "uid", "gid", "nlink", "mtime", "filesize",
          "devmajor", "devminor", "rdevmajor", "rdevminor", "namesize", "check")


@dataclass(frozen=True)
class Entry:
    name: str          # relative, without a leading "/" ("etc/motd")
    mode: int          # stat.S_IFDIR or stat.S_IFREG with permission bits
    data: bytes = b""

    @property
    def is_directory(self) -> bool:
        return stat.S_ISDIR(self.mode)


def _pad4(length: int) -> bytes:
    return b"\0" * (-length % 4)


def _header(fields: dict[str, int]) -> bytes:
    return MAGIC + b"".join(b"%08X" % fields.get(name, 0) for name in FIELDS)


def write_archive(entries: list[Entry]) -> bytes:
    """The archive holding `entries` in order, then the trailer. Every timestamp
    and owner is 0, so the same input always gives the same bytes."""
    out = bytearray()
    for number, entry in enumerate(entries + [Entry(TRAILER, 0)], start=1):
        name = entry.name.encode() + b"\0"
        is_trailer = entry.name == TRAILER
        fields = {"ino": 0 if is_trailer else number, "mode": entry.mode, "filesize": len(entry.data),
                  "namesize": len(name), "nlink": 0 if is_trailer else (2 if entry.is_directory else 1)}
        out += _header(fields) + name
        out += _pad4(len(out))
        out += entry.data + _pad4(len(entry.data))
    return bytes(out)


def read_archive(data: bytes) -> list[Entry]:
    """The entries of a newc archive (without the trailer); ValueError when it is
    malformed. An independent reading of the format, for the tests."""
    entries: list[Entry] = []
    position = 0
    while True:
        header = data[position:position + HEADER_SIZE]
        if len(header) < HEADER_SIZE:
            raise ValueError(f"truncated header at {position}")
        if header[:6] not in (b"070701", b"070702"):
            raise ValueError(f"bad magic {header[:6]!r} at {position}")
        fields = {name: int(header[6 + 8 * i:14 + 8 * i], 16) for i, name in enumerate(FIELDS)}
        name_start = position + HEADER_SIZE
        raw_name = data[name_start:name_start + fields["namesize"]]
        if len(raw_name) != fields["namesize"] or not raw_name.endswith(b"\0"):
            raise ValueError(f"bad name at {position}")
        name = raw_name[:-1].decode()
        data_start = name_start + fields["namesize"]
        data_start += -data_start % 4
        content = data[data_start:data_start + fields["filesize"]]
        if len(content) != fields["filesize"]:
            raise ValueError(f"truncated data of {name}")
        position = data_start + fields["filesize"]
        position += -position % 4
        if name == TRAILER:
            return entries
        entries.append(Entry(name, fields["mode"], content))
