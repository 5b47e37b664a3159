/* Test guest "ide": drives the VM's IDE channels as an ATA PIO driver does, after
 * ATA/ATAPI-6 ("PIO data-in/data-out command protocol", "Non-data command
 * protocol", "Software reset protocol"), in interrupt mode (INTRQ through the
 * 8259A, IRQ 14 and 15) and in polling mode (nIEN set). It expects the disks of
 * tools/matryoshka/ide_test_disks.py: ide0.img primary master, no primary slave,
 * ide2.img read-only secondary master, ide3.img secondary slave; with "floating"
 * on its command line, ide2.img read-only as the only disk (the secondary channel
 * then floats); with "quota", ide4.img (all holes) as the only disk of a VM whose
 * storage quota is 16 KiB, which its writes into holes use up. What it writes
 * the host checks by hashing the files afterwards; the sector pattern is the one
 * ide_test_disks.py computes. */
#include "common/guest.h"
#include "common/interrupts.h"
#include "common/port_io.h"
#include "common/text.h"

namespace guest {

const char GUEST_NAME[] = "ide";

namespace {

constexpr uint8_t STATUS_BSY = 0x80, STATUS_DRDY = 0x40, STATUS_DRQ = 0x08, STATUS_ERR = 0x01;
constexpr uint8_t ERROR_ABRT = 0x04, ERROR_IDNF = 0x10;
constexpr uint8_t CONTROL_NIEN = 0x02, CONTROL_SRST = 0x04;
constexpr uint32_t SPIN_LIMIT = 2000000;
constexpr uint32_t SECTOR_WORDS = 256;

struct Channel {
    uint16_t base;
    uint16_t control;
    unsigned irq;
    bool interrupts; /* nIEN clear: wait for the IRQ instead of polling */
};

Channel primary{0x1F0, 0x3F6, 14, true};
Channel secondary{0x170, 0x376, 15, true};

/* Room for the largest transfer: 256 sectors (Sector Count 0). */
uint16_t sector_buffer[SECTOR_WORDS * 256];

uint8_t pattern_byte(uint32_t lba, uint32_t offset, uint32_t seed) { return uint8_t(lba * 13 + offset + seed); }

void fill_pattern(uint32_t lba, uint32_t sectors, uint32_t seed)
{
    auto* bytes = reinterpret_cast<uint8_t*>(sector_buffer);
    for (uint32_t s = 0; s < sectors; ++s)
        for (uint32_t i = 0; i < 512; ++i)
            bytes[s * 512 + i] = pattern_byte(lba + s, i, seed);
}

bool buffer_has_pattern(uint32_t lba, uint32_t sectors, uint32_t seed)
{
    auto* bytes = reinterpret_cast<const uint8_t*>(sector_buffer);
    for (uint32_t s = 0; s < sectors; ++s)
        for (uint32_t i = 0; i < 512; ++i)
            if (bytes[s * 512 + i] != pattern_byte(lba + s, i, seed))
                return false;
    return true;
}

void set_interrupts(Channel& channel, bool on)
{
    channel.interrupts = on;
    out8(channel.control, on ? 0 : CONTROL_NIEN);
}

/* The end of a step of the protocol: in interrupt mode the IRQ (counted since
 * `irqs_before`), in polling mode BSY clear in Alternate Status. Then reads
 * Status (acknowledging the interrupt). 0xFF: nothing came. */
uint8_t wait_step(const Channel& channel, uint32_t irqs_before)
{
    for (uint32_t spin = 0; spin < SPIN_LIMIT; ++spin) {
        if (channel.interrupts) {
            /* Open the interrupt window for one instruction at a time. */
            asm volatile("sti; nop; cli" ::: "memory");
            if (irq_counts[channel.irq] != irqs_before)
                return in8(channel.base + 7);
        } else if (!(in8(channel.control) & STATUS_BSY)) {
            return in8(channel.base + 7);
        }
    }
    return 0xFF;
}

void select(const Channel& channel, unsigned device) { out8(channel.base + 6, uint8_t(0xA0 | device << 4)); }

/* Writes the task file for an LBA28 command and the command; returns the IRQ
 * count before it for wait_step. */
uint32_t issue(const Channel& channel, unsigned device, uint8_t command, uint32_t lba, uint8_t count,
               uint8_t features = 0)
{
    out8(channel.base + 6, uint8_t(0xE0 | device << 4 | (lba >> 24 & 0x0F)));
    out8(channel.base + 1, features);
    out8(channel.base + 2, count);
    out8(channel.base + 3, uint8_t(lba));
    out8(channel.base + 4, uint8_t(lba >> 8));
    out8(channel.base + 5, uint8_t(lba >> 16));
    uint32_t before = irq_counts[channel.irq];
    out8(channel.base + 7, command);
    return before;
}

uint8_t non_data(const Channel& channel, unsigned device, uint8_t command, uint32_t lba = 0, uint8_t count = 0,
                 uint8_t features = 0)
{
    return wait_step(channel, issue(channel, device, command, lba, count, features));
}

/* 16-bit transfers with REP INSW/OUTSW as drivers do (one VM exit per batch);
 * 32-bit ones with single IN/OUT, to exercise each access. */
void read_words(const Channel& channel, uint16_t* words, uint32_t count, bool wide)
{
    if (!wide) {
        asm volatile("rep insw" : "+D"(words), "+c"(count) : "d"(channel.base) : "memory");
        return;
    }
    for (uint32_t i = 0; i < count; i += 2) {
        uint32_t pair = in32(channel.base);
        words[i] = uint16_t(pair);
        words[i + 1] = uint16_t(pair >> 16);
    }
}

void write_words(const Channel& channel, const uint16_t* words, uint32_t count, bool wide)
{
    if (!wide) {
        asm volatile("rep outsw" : "+S"(words), "+c"(count) : "d"(channel.base) : "memory");
        return;
    }
    for (uint32_t i = 0; i < count; i += 2)
        out32(channel.base, uint32_t(words[i]) | uint32_t(words[i + 1]) << 16);
}

/* A PIO data-in command of `sectors` sectors in blocks of `block`; false with
 * the failing status in `status` when a step did not come with DRQ. */
bool data_in(const Channel& channel, uint32_t before, uint32_t sectors, uint32_t block, bool wide, uint8_t& status)
{
    for (uint32_t done = 0; done < sectors; done += block) {
        status = wait_step(channel, before);
        if ((status & (STATUS_DRQ | STATUS_ERR | STATUS_BSY)) != STATUS_DRQ)
            return false;
        before = irq_counts[channel.irq];
        uint32_t now = sectors - done < block ? sectors - done : block;
        read_words(channel, sector_buffer + done * SECTOR_WORDS, now * SECTOR_WORDS, wide);
    }
    status = in8(channel.control);
    return !(status & (STATUS_DRQ | STATUS_ERR));
}

/* A PIO data-out command: the first DRQ is polled (it comes without an
 * interrupt), the later ones and the end are waited for. */
bool data_out(const Channel& channel, uint32_t sectors, uint32_t block, bool wide, uint8_t& status)
{
    for (uint32_t spin = 0; spin < SPIN_LIMIT && (in8(channel.control) & STATUS_BSY); ++spin) {
    }
    status = in8(channel.control);
    for (uint32_t done = 0; done < sectors; done += block) {
        if ((status & (STATUS_DRQ | STATUS_ERR | STATUS_BSY)) != STATUS_DRQ)
            return false;
        uint32_t before = irq_counts[channel.irq];
        uint32_t now = sectors - done < block ? sectors - done : block;
        write_words(channel, sector_buffer + done * SECTOR_WORDS, now * SECTOR_WORDS, wide);
        status = wait_step(channel, before);
    }
    return (status & (STATUS_DRQ | STATUS_ERR | STATUS_BSY)) == 0 && (status & STATUS_DRDY);
}

bool read_sectors(const Channel& channel, unsigned device, uint32_t lba, uint8_t count, uint8_t& status)
{
    uint32_t before = issue(channel, device, 0x20, lba, count);
    return data_in(channel, before, count ? count : 256, 1, false, status);
}

bool write_sectors(const Channel& channel, unsigned device, uint32_t lba, uint8_t count, uint8_t& status)
{
    issue(channel, device, 0x30, lba, count);
    return data_out(channel, count ? count : 256, 1, false, status);
}

void check_status(const char* name, bool passed, uint8_t status)
{
    Text reason;
    reason.add("status ").add_hex(status);
    check(name, passed, reason.c_str());
}

/* IDENTIFY DEVICE: capacity, the byte-swapped model string, LBA, the integrity word. */
void check_identify(const char* name, const Channel& channel, unsigned device, uint32_t capacity)
{
    uint32_t before = issue(channel, device, 0xEC, 0, 0);
    uint8_t status;
    bool ok = data_in(channel, before, 1, 1, false, status);
    const uint16_t* words = sector_buffer;
    uint32_t sectors = words[60] | uint32_t(words[61]) << 16;
    uint8_t sum = 0;
    for (uint32_t i = 0; i < SECTOR_WORDS; ++i)
        sum = uint8_t(sum + uint8_t(words[i]) + uint8_t(words[i] >> 8));
    bool model = words[27] == ('M' << 8 | 'a') && words[28] == ('t' << 8 | 'r');
    Text reason;
    reason.add("status ").add_hex(status).add(" sectors ").add_decimal(int32_t(sectors)).add(" word0 ").add_hex(words[0]);
    check(name, ok && sectors == capacity && model && !(words[0] & 0x8000) && (words[49] & 0x0200) &&
                    (words[255] & 0xFF) == 0xA5 && sum == 0,
          reason.c_str());
}

void check_absent_slave(const char* name, const Channel& channel)
{
    select(channel, 1);
    uint8_t status = in8(channel.base + 7);
    uint8_t alternate = in8(channel.control);
    select(channel, 0);
    check_status(name, status == 0 && alternate == 0, status);
}

void check_primary()
{
    check_identify("primary_master_identify", primary, 0, 2048);
    check_absent_slave("primary_slave_absent_reads_status_0", primary);

    uint8_t status;
    bool ok = read_sectors(primary, 0, 0, 1, status);
    auto* mbr = reinterpret_cast<const uint8_t*>(sector_buffer);
    check_status("primary_reads_the_mbr_of_mkdisk", ok && mbr[510] == 0x55 && mbr[511] == 0xAA && mbr[446 + 4] == 0x83 &&
                                                         mbr[446 + 8] == 64,
                 status);

    /* Interrupt mode: WRITE SECTORS, then READ SECTORS of the same four. */
    uint32_t irqs = irq_counts[14];
    fill_pattern(100, 4, 1);
    check_status("primary_write_sectors_with_interrupts", write_sectors(primary, 0, 100, 4, status), status);
    check("primary_write_raised_interrupts", irq_counts[14] - irqs == 4, "expected one IRQ 14 per sector");
    fill_pattern(0, 4, 0xEE);
    ok = read_sectors(primary, 0, 100, 4, status);
    check_status("primary_read_back_with_interrupts", ok && buffer_has_pattern(100, 4, 1), status);

    /* Polling mode with nIEN: WRITE/READ MULTIPLE in blocks of 4, 32-bit data port. */
    set_interrupts(primary, false);
    irqs = irq_counts[14];
    status = non_data(primary, 0, 0xC6, 0, 4);
    check_status("primary_set_multiple_mode_4", status == (STATUS_DRDY | 0x10), status);
    fill_pattern(200, 8, 2);
    issue(primary, 0, 0xC5, 200, 8);
    check_status("primary_write_multiple_polling_32bit", data_out(primary, 8, 4, true, status), status);
    fill_pattern(0, 8, 0xEE);
    uint32_t before = issue(primary, 0, 0xC4, 200, 8);
    ok = data_in(primary, before, 8, 4, true, status);
    check_status("primary_read_multiple_polling_32bit", ok && buffer_has_pattern(200, 8, 2), status);
    check("polling_mode_raised_no_interrupt", irq_counts[14] == irqs, "IRQ 14 came with nIEN set");
    set_interrupts(primary, true);

    /* CHS: the default translation is 16 heads x 63 sectors, so C1 H0 S1 is LBA 1008. */
    fill_pattern(1008, 1, 3);
    out8(primary.base + 6, 0xA0);
    out8(primary.base + 2, 1);
    out8(primary.base + 3, 1);
    out8(primary.base + 4, 1);
    out8(primary.base + 5, 0);
    out8(primary.base + 7, 0x30);
    check_status("primary_chs_write", data_out(primary, 1, 1, false, status), status);
    fill_pattern(0, 1, 0xEE);
    ok = read_sectors(primary, 0, 1008, 1, status);
    check_status("primary_chs_write_landed_at_lba_1008", ok && buffer_has_pattern(1008, 1, 3), status);

    status = non_data(primary, 0, 0x20, 2048, 1);
    uint8_t error = in8(primary.base + 1);
    check_status("primary_read_past_the_end_is_idnf", (status & STATUS_ERR) && error == ERROR_IDNF, status);
    status = non_data(primary, 0, 0xA1);
    error = in8(primary.base + 1);
    check_status("identify_packet_device_aborted_with_ata_signature",
                 (status & STATUS_ERR) && error == ERROR_ABRT && in8(primary.base + 4) == 0 && in8(primary.base + 5) == 0,
                 status);
    status = non_data(primary, 0, 0x90);
    error = in8(primary.base + 1);
    check_status("execute_device_diagnostic_passes",
                 !(status & STATUS_ERR) && error == 0x01 && in8(primary.base + 2) == 1 && in8(primary.base + 3) == 1,
                 status);
}

void check_secondary()
{
    check_identify("secondary_master_identify", secondary, 0, 128);
    check_identify("secondary_slave_identify", secondary, 1, 256);
    uint8_t status;
    bool ok = read_sectors(secondary, 0, 5, 2, status);
    check_status("secondary_master_reads_its_pattern", ok && buffer_has_pattern(5, 2, 5), status);
    status = non_data(secondary, 0, 0x30, 5, 1);
    check_status("secondary_master_read_only_write_aborted", (status & STATUS_ERR) && in8(secondary.base + 1) == ERROR_ABRT,
                 status);

    /* Sector count 0 is 256: the whole secondary slave in one command each way. */
    fill_pattern(0, 256, 4);
    issue(secondary, 1, 0x30, 0, 0);
    check_status("secondary_slave_count_0_writes_256_sectors", data_out(secondary, 256, 1, false, status), status);
    set_interrupts(secondary, false);
    fill_pattern(0, 256, 0xEE);
    ok = read_sectors(secondary, 1, 0, 0, status);
    check_status("secondary_slave_count_0_reads_back_polling", ok && buffer_has_pattern(0, 256, 4), status);
    set_interrupts(secondary, true);

    /* Software reset: BSY while SRST is set, then the signature and device 0. */
    out8(secondary.control, CONTROL_SRST);
    uint8_t busy = in8(secondary.control);
    out8(secondary.control, 0);
    status = in8(secondary.base + 7);
    check_status("secondary_software_reset", (busy & STATUS_BSY) && status == (STATUS_DRDY | 0x10) &&
                                                  in8(secondary.base + 1) == 0x01 && in8(secondary.base + 2) == 1 &&
                                                  in8(secondary.base + 3) == 1 && (in8(secondary.base + 6) & 0x10) == 0,
                 status);
}

void check_floating()
{
    check_identify("only_disk_identify", primary, 0, 128);
    check_absent_slave("only_disk_slave_absent_reads_status_0", primary);
    uint8_t status = non_data(primary, 0, 0x30, 0, 1);
    check_status("only_disk_read_only_write_aborted", (status & STATUS_ERR) && in8(primary.base + 1) == ERROR_ABRT, status);
    bool floats = in8(secondary.control) == 0xFF && in16(secondary.base) == 0xFFFF;
    for (uint16_t port = secondary.base + 1; port < secondary.base + 8; ++port)
        floats = floats && in8(port) == 0xFF;
    check("secondary_without_disks_floats", floats, "a register read other than 0xff");
}

/* A write into a hole of the host file takes a host page, charged to the VM's
 * storage quota (16 KiB here): one sector into each 4 KiB page of the disk
 * succeeds until the quota is used up (the file's page-table leaf is charged
 * too), then aborts; writing a page already taken costs nothing more. */
void check_quota()
{
    constexpr uint32_t SECTORS_PER_PAGE = 8, PAGES = 64;
    uint32_t written = 0;
    uint8_t status = 0;
    for (; written < PAGES; ++written) {
        fill_pattern(written * SECTORS_PER_PAGE, 1, 6);
        if (!write_sectors(primary, 0, written * SECTORS_PER_PAGE, 1, status))
            break;
    }
    Text reason;
    reason.add("pages written ").add_decimal(int32_t(written)).add(", status ").add_hex(status);
    check("quota_hole_writes_stop_at_the_quota", written >= 1 && written <= 4 && (status & STATUS_ERR) &&
                                                     in8(primary.base + 1) == ERROR_ABRT,
          reason.c_str());
    fill_pattern(0, 1, 7);
    check_status("quota_rewrite_of_a_taken_page_succeeds", write_sectors(primary, 0, 0, 1, status), status);
    bool read = read_sectors(primary, 0, 0, 1, status);
    check_status("quota_rewrite_reads_back", read && buffer_has_pattern(0, 1, 7), status);
}

bool command_line_says(const char* word)
{
    const multiboot::Info* info = multiboot_info();
    if (!info || !(info->flags & multiboot::INFO_CMDLINE) || !info->cmdline)
        return false;
    const auto* text = reinterpret_cast<const char*>(uintptr_t(info->cmdline));
    size_t length = string_length(word);
    for (; *text; ++text) {
        size_t i = 0;
        while (i < length && text[i] == word[i])
            ++i;
        if (i == length)
            return true;
    }
    return false;
}

} // namespace

void guest_main()
{
    install_irq_handlers();
    /* IRQ 2 is the cascade that brings the slave PIC's IRQ 14 and 15. */
    program_pics(uint16_t(~(1u << 2 | 1u << 14 | 1u << 15)));
    set_interrupts(primary, true);
    if (command_line_says("floating")) {
        check_floating();
        return;
    }
    if (command_line_says("quota")) {
        check_quota();
        return;
    }
    set_interrupts(secondary, true);
    check_primary();
    check_secondary();
}

} // namespace guest
