/* hypervisor/devices/ide_controller and ata_disk: an IDE channel with ATA disks
 * against ATA/ATAPI-6, driven through the I/O bus as a guest's driver drives it. */
#include "hypervisor/devices/ide_controller.h"
#include "hypervisor/devices/io_bus.h"
#include "fake_interrupt_controller.h"
#include "unit_test.h"

#include <algorithm>
#include <string>
#include <vector>

using devices::AtaDisk;
using devices::IdeChannel;

namespace {

/* A disk's sectors in a vector; `fail_io` makes every access fail like a
 * broken host file. */
struct VectorStore final : devices::SectorStore {
    std::vector<uint8_t> bytes;
    bool fail_io = false;
    unsigned flushes = 0;

    explicit VectorStore(uint64_t sectors) : bytes(sectors * SECTOR_SIZE)
    {
        for (size_t i = 0; i < bytes.size(); ++i)
            bytes[i] = uint8_t(i / SECTOR_SIZE * 7 + i);
    }
    uint64_t sector_count() const override { return bytes.size() / SECTOR_SIZE; }
    bool read_sectors(uint64_t lba, uint32_t count, uint8_t* out) override
    {
        if (fail_io || lba + count > sector_count())
            return false;
        std::copy_n(bytes.begin() + long(lba * SECTOR_SIZE), count * SECTOR_SIZE, out);
        return true;
    }
    bool write_sectors(uint64_t lba, uint32_t count, const uint8_t* data) override
    {
        if (fail_io || lba + count > sector_count())
            return false;
        std::copy_n(data, count * SECTOR_SIZE, bytes.begin() + long(lba * SECTOR_SIZE));
        return true;
    }
    bool flush() override
    {
        ++flushes;
        return !fail_io;
    }
    uint8_t sector_byte(uint64_t lba, size_t offset) const { return bytes[lba * SECTOR_SIZE + offset]; }
};

constexpr uint16_t BASE = 0x1F0, CONTROL = 0x3F6;
constexpr uint8_t READY = 0x50, READY_DRQ = 0x58, READY_ERR = 0x51;

/* The primary channel on a bus, with a master of 20160 sectors (20 cylinders of
 * 16 heads x 63 sectors) and optionally a slave. */
struct Primary {
    FakeInterruptController pic;
    VectorStore master{20160};
    VectorStore slave{100};
    IdeChannel channel{IdeChannel::PRIMARY_BASE, IdeChannel::PRIMARY_CONTROL, devices::IrqLine(pic, 14)};
    devices::IoBus bus;

    explicit Primary(bool with_master = true, bool with_slave = false, bool master_read_only = false)
    {
        if (with_master)
            channel.device(0).attach(master, master_read_only, 0);
        if (with_slave)
            channel.device(1).attach(slave, false, 1);
        CHECK(bus.attach(channel));
    }
    void out(uint16_t port, uint8_t value) { bus.write(port, 1, value, 0); }
    uint8_t in(uint16_t port) { return uint8_t(bus.read(port, 1, 0)); }
    uint8_t status() { return in(BASE + 7); }
    uint8_t alternate_status() { return in(CONTROL); }
    uint8_t error() { return in(BASE + 1); }
    bool irq() const { return pic.level[14]; }
    uint16_t word() { return uint16_t(bus.read(BASE, 2, 0)); }
    void put_word(uint16_t value) { bus.write(BASE, 2, value, 0); }

    /* The task file for an LBA28 command on device `dev`. */
    void lba_command(uint8_t command, uint32_t lba, uint8_t count, unsigned dev = 0)
    {
        out(BASE + 6, uint8_t(0xE0 | dev << 4 | (lba >> 24 & 0x0F)));
        out(BASE + 2, count);
        out(BASE + 3, uint8_t(lba));
        out(BASE + 4, uint8_t(lba >> 8));
        out(BASE + 5, uint8_t(lba >> 16));
        out(BASE + 7, command);
    }
    void chs_command(uint8_t command, uint16_t cylinder, uint8_t head, uint8_t sector, uint8_t count)
    {
        out(BASE + 6, uint8_t(0xA0 | (head & 0x0F)));
        out(BASE + 2, count);
        out(BASE + 3, sector);
        out(BASE + 4, uint8_t(cylinder));
        out(BASE + 5, uint8_t(cylinder >> 8));
        out(BASE + 7, command);
    }
    std::vector<uint8_t> read_bytes(size_t count)
    {
        std::vector<uint8_t> data;
        for (size_t i = 0; i < count; i += 2) {
            uint16_t value = word();
            data.push_back(uint8_t(value));
            data.push_back(uint8_t(value >> 8));
        }
        return data;
    }
    std::vector<uint16_t> identify(unsigned dev = 0)
    {
        out(BASE + 6, uint8_t(0xA0 | dev << 4));
        out(BASE + 7, 0xEC);
        std::vector<uint16_t> words;
        for (int i = 0; i < 256; ++i)
            words.push_back(word());
        return words;
    }
};

std::string identify_string(const std::vector<uint16_t>& words, unsigned first, unsigned count)
{
    std::string text;
    for (unsigned i = first; i < first + count; ++i) {
        text += char(words[i] >> 8);
        text += char(words[i] & 0xFF);
    }
    return text;
}

bool same_sector(const std::vector<uint8_t>& data, size_t data_offset, const VectorStore& store, uint64_t lba)
{
    for (size_t i = 0; i < AtaDisk::SECTOR_SIZE; ++i)
        if (data[data_offset + i] != store.sector_byte(lba, i))
            return false;
    return true;
}

} // namespace

UNIT_TEST(ide_identify_device_words_follow_ata6)
{
    Primary ide;
    CHECK_EQ(ide.status(), READY);
    ide.out(BASE + 6, 0xA0);
    ide.out(BASE + 7, 0xEC);
    CHECK_EQ(ide.alternate_status(), READY_DRQ);
    CHECK(ide.irq());
    std::vector<uint16_t> words;
    for (int i = 0; i < 256; ++i)
        words.push_back(ide.word());
    CHECK_EQ(ide.status(), READY); /* DRQ gone after 256 words, no new interrupt */
    CHECK(!ide.irq());
    CHECK_EQ(words[0] & 0x8000, 0);        /* an ATA device */
    CHECK_EQ(words[1], 20);                /* cylinders */
    CHECK_EQ(words[3], 16);                /* heads */
    CHECK_EQ(words[6], 63);                /* sectors per track */
    CHECK_EQ(identify_string(words, 27, 20), std::string("Matryoshka ATA disk                     "));
    CHECK_EQ(identify_string(words, 10, 10), std::string("MATRYOSHKA-DISK-0000"));
    CHECK_EQ(identify_string(words, 23, 4), std::string("1.0     "));
    CHECK_EQ(words[47], 0x8010);           /* up to 16 sectors per block */
    CHECK_EQ(words[49] & 0x0200, 0x0200);  /* LBA supported */
    CHECK_EQ(words[49] & 0x0100, 0);       /* no DMA */
    CHECK_EQ(words[53] & 0x0001, 1);       /* words 54-58 valid */
    CHECK_EQ(words[54], 20);
    CHECK_EQ(words[55], 16);
    CHECK_EQ(words[56], 63);
    CHECK_EQ(words[57] | words[58] << 16, 20160);
    CHECK_EQ(words[59], 0);                /* multiple mode off */
    CHECK_EQ(words[60] | words[61] << 16, 20160);
    CHECK_EQ(words[64], 0x0003);           /* PIO 3 and 4 */
    CHECK_EQ(words[88], 0);                /* no Ultra DMA */
    CHECK_EQ(words[83] & 0xD000, 0x5000);  /* valid, FLUSH CACHE */
    unsigned sum = 0;
    for (uint16_t w : words)
        sum += (w & 0xFF) + (w >> 8);
    CHECK_EQ(words[255] & 0xFF, 0xA5);
    CHECK_EQ(sum % 256, 0u);               /* integrity word */
}

UNIT_TEST(ide_identify_serial_names_the_unit_and_slave_answers)
{
    Primary ide(true, true);
    std::vector<uint16_t> words = ide.identify(1);
    CHECK_EQ(identify_string(words, 10, 10), std::string("MATRYOSHKA-DISK-0001"));
    CHECK_EQ(words[60] | words[61] << 16, 100);
    /* 100 sectors: less than one 16-head cylinder, so 1 head x 63 sectors. */
    CHECK_EQ(words[3], 1);
    CHECK_EQ(words[6], 63);
    CHECK_EQ(words[1], 1);
}

UNIT_TEST(ide_read_sectors_interrupts_per_sector_and_status_read_acknowledges)
{
    Primary ide;
    ide.lba_command(0x20, 1000, 3);
    for (int sector = 0; sector < 3; ++sector) {
        CHECK(ide.irq());
        CHECK_EQ(ide.alternate_status(), READY_DRQ);
        CHECK(ide.irq()); /* alternate status does not acknowledge */
        CHECK_EQ(ide.status(), READY_DRQ);
        CHECK(!ide.irq());
        std::vector<uint8_t> data = ide.read_bytes(512);
        CHECK(same_sector(data, 0, ide.master, 1000 + sector));
    }
    CHECK(!ide.irq());
    CHECK_EQ(ide.status(), READY);
    CHECK_EQ(ide.pic.rising_edges[14], 3u);
}

UNIT_TEST(ide_write_sectors_reach_the_store_with_an_interrupt_after_each)
{
    Primary ide;
    ide.lba_command(0x30, 5, 2);
    CHECK_EQ(ide.status(), READY_DRQ);
    CHECK(!ide.irq()); /* the first block's DRQ comes without one */
    for (int i = 0; i < 256; ++i)
        ide.put_word(uint16_t(0xA000 + i));
    CHECK(ide.irq());
    CHECK_EQ(ide.status(), READY_DRQ);
    for (int i = 0; i < 256; ++i)
        ide.put_word(uint16_t(0xB000 + i));
    CHECK(ide.irq());
    CHECK_EQ(ide.status(), READY);
    CHECK_EQ(ide.master.sector_byte(5, 0), 0x00);
    CHECK_EQ(ide.master.sector_byte(5, 1), 0xA0);
    CHECK_EQ(ide.master.sector_byte(5, 2), 0x01);
    CHECK_EQ(ide.master.sector_byte(6, 511), 0xB0);
    CHECK_EQ(ide.master.sector_byte(6, 510), 0xFF);
}

UNIT_TEST(ide_sector_count_zero_means_256)
{
    Primary ide;
    ide.lba_command(0x20, 0, 0);
    int sectors = 0;
    while (ide.status() & 0x08) {
        ide.read_bytes(512);
        ++sectors;
    }
    CHECK_EQ(sectors, 256);
}

UNIT_TEST(ide_multiple_mode_transfers_blocks_and_is_checked)
{
    Primary ide;
    ide.lba_command(0xC4, 0, 4); /* multiple mode is off */
    CHECK_EQ(ide.status(), READY_ERR);
    CHECK_EQ(ide.error(), 0x04);
    ide.lba_command(0xC6, 0, 3); /* not a power of two */
    CHECK_EQ(ide.status(), READY_ERR);
    ide.lba_command(0xC6, 0, 32); /* beyond word 47 */
    CHECK_EQ(ide.status(), READY_ERR);
    ide.lba_command(0xC6, 0, 4);
    CHECK_EQ(ide.status(), READY);
    CHECK(ide.identify()[59] == 0x0104);
    unsigned edges = ide.pic.rising_edges[14];
    ide.lba_command(0xC4, 200, 10); /* blocks of 4, 4, 2 sectors */
    std::vector<uint8_t> data;
    int blocks = 0;
    while (ide.status() & 0x08) {
        size_t sectors = data.size() < 8 * 512 ? 4 : 2;
        std::vector<uint8_t> block = ide.read_bytes(sectors * 512);
        data.insert(data.end(), block.begin(), block.end());
        ++blocks;
    }
    CHECK_EQ(blocks, 3);
    CHECK_EQ(data.size(), 10u * 512);
    CHECK_EQ(ide.pic.rising_edges[14] - edges, 3u);
    for (int i = 0; i < 10; ++i)
        CHECK(same_sector(data, size_t(i) * 512, ide.master, 200 + uint64_t(i)));
    ide.lba_command(0xC5, 300, 5);
    for (int i = 0; i < 5 * 256; ++i) {
        if (i == 4 * 256) {
            CHECK(ide.irq()); /* the second block's DRQ */
            CHECK_EQ(ide.status(), READY_DRQ);
        }
        ide.put_word(uint16_t(i));
    }
    CHECK_EQ(ide.status(), READY);
    CHECK_EQ(ide.master.sector_byte(304, 2), uint8_t(4 * 256 + 1));
}

UNIT_TEST(ide_chs_addressing_follows_the_current_translation)
{
    Primary ide;
    /* Default 20/16/63: C=1 H=2 S=3 is LBA (1*16+2)*63+2 = 1136. */
    ide.chs_command(0x20, 1, 2, 3, 1);
    CHECK_EQ(ide.status(), READY_DRQ);
    CHECK(same_sector(ide.read_bytes(512), 0, ide.master, 1136));
    ide.chs_command(0x20, 0, 0, 0, 1); /* sector numbers start at 1 */
    CHECK_EQ(ide.status(), READY_ERR);
    CHECK_EQ(ide.error(), 0x10);
    ide.chs_command(0x20, 20, 0, 1, 1); /* past the last cylinder */
    CHECK_EQ(ide.error(), 0x10);
    /* INITIALIZE DEVICE PARAMETERS: 4 heads (3 + 1), 32 sectors per track. */
    ide.out(BASE + 6, 0xA3);
    ide.out(BASE + 2, 32);
    ide.out(BASE + 7, 0x91);
    CHECK_EQ(ide.status(), READY);
    std::vector<uint16_t> words = ide.identify();
    CHECK_EQ(words[54], 20160 / 128);
    CHECK_EQ(words[55], 4);
    CHECK_EQ(words[56], 32);
    CHECK_EQ(words[1], 20); /* the default stays */
    ide.chs_command(0x20, 1, 2, 3, 1); /* (1*4+2)*32+2 = 194 */
    CHECK(same_sector(ide.read_bytes(512), 0, ide.master, 194));
    ide.chs_command(0x20, 0, 4, 1, 1); /* head 4 of 4 */
    CHECK_EQ(ide.error(), 0x10);
    ide.out(BASE + 2, 0);
    ide.out(BASE + 7, 0x91); /* no sectors per track */
    CHECK_EQ(ide.status(), READY_ERR);
}

UNIT_TEST(ide_out_of_range_lba_is_idnf_before_any_data)
{
    Primary ide;
    ide.lba_command(0x20, 20159, 2); /* the second sector is past the end */
    CHECK_EQ(ide.status(), READY_ERR);
    CHECK_EQ(ide.error(), 0x10);
    CHECK(ide.irq() || ide.pic.rising_edges[14] > 0);
    ide.lba_command(0x30, 0x0FFFFFFF, 1);
    CHECK_EQ(ide.error(), 0x10);
    CHECK_EQ(ide.word(), 0xFFFF); /* no transfer */
    ide.lba_command(0x20, 20159, 1);
    CHECK_EQ(ide.status(), READY_DRQ);
}

UNIT_TEST(ide_write_to_read_only_disk_is_aborted)
{
    Primary ide(true, false, true);
    uint8_t before = ide.master.sector_byte(3, 0);
    ide.lba_command(0x30, 3, 1);
    CHECK_EQ(ide.status(), READY_ERR);
    CHECK_EQ(ide.error(), 0x04);
    ide.put_word(0x1234);
    CHECK_EQ(ide.master.sector_byte(3, 0), before);
    ide.lba_command(0xC6, 0, 2);
    ide.lba_command(0xC5, 3, 1);
    CHECK_EQ(ide.error(), 0x04);
    ide.lba_command(0x20, 3, 1); /* reading is fine */
    CHECK_EQ(ide.status(), READY_DRQ);
}

UNIT_TEST(ide_host_io_error_aborts_the_command)
{
    Primary ide;
    ide.master.fail_io = true;
    ide.lba_command(0x20, 0, 1);
    CHECK_EQ(ide.status(), READY_ERR);
    CHECK_EQ(ide.error(), 0x04);
    ide.lba_command(0x30, 0, 1);
    for (int i = 0; i < 256; ++i)
        ide.put_word(0);
    CHECK_EQ(ide.status(), READY_ERR);
    ide.out(BASE + 7, 0xE7);
    CHECK_EQ(ide.status(), READY_ERR);
    ide.master.fail_io = false;
    ide.out(BASE + 7, 0xE7);
    CHECK_EQ(ide.status(), READY);
    CHECK_EQ(ide.master.flushes, 2u);
}

UNIT_TEST(ide_nien_masks_intrq_and_polling_still_works)
{
    Primary ide;
    ide.out(CONTROL, 0x02);
    ide.lba_command(0x20, 7, 1);
    CHECK(!ide.irq());
    CHECK_EQ(ide.pic.rising_edges[14], 0u);
    CHECK_EQ(ide.alternate_status(), READY_DRQ);
    CHECK(same_sector(ide.read_bytes(512), 0, ide.master, 7));
    /* A request left pending shows once nIEN is cleared. */
    ide.lba_command(0xE7, 0, 0);
    CHECK(!ide.irq());
    ide.out(CONTROL, 0x00);
    CHECK(ide.irq());
    ide.status();
    CHECK(!ide.irq());
}

UNIT_TEST(ide_software_reset_is_busy_then_leaves_signatures)
{
    Primary ide(true, true);
    ide.lba_command(0x20, 0, 1, 1); /* the slave mid-transfer */
    ide.out(CONTROL, 0x04);
    CHECK_EQ(ide.alternate_status(), 0x80);
    ide.out(BASE + 7, 0xEC); /* ignored while in reset */
    CHECK_EQ(ide.alternate_status(), 0x80);
    ide.out(CONTROL, 0x00);
    CHECK(!ide.irq()); /* no interrupt after a software reset */
    CHECK_EQ(ide.in(BASE + 6) & 0x10, 0); /* device 0 selected */
    CHECK_EQ(ide.status(), READY);
    CHECK_EQ(ide.error(), 0x01);
    CHECK_EQ(ide.in(BASE + 2), 0x01);
    CHECK_EQ(ide.in(BASE + 3), 0x01);
    CHECK_EQ(ide.in(BASE + 4), 0x00);
    CHECK_EQ(ide.in(BASE + 5), 0x00);
    ide.out(BASE + 6, 0xB0);
    CHECK_EQ(ide.status(), READY); /* the slave's transfer was abandoned */
    CHECK_EQ(ide.error(), 0x01);
}

UNIT_TEST(ide_execute_device_diagnostic_runs_on_both_devices)
{
    Primary ide(true, true);
    ide.out(BASE + 6, 0xB0); /* the slave selected: both run it anyway */
    ide.out(BASE + 7, 0x90);
    CHECK_EQ(ide.in(BASE + 6) & 0x10, 0);
    CHECK(ide.irq());
    CHECK_EQ(ide.error(), 0x01); /* device 0: passed, device 1 passed */
    CHECK_EQ(ide.status(), READY);
    CHECK_EQ(ide.in(BASE + 2), 0x01);
    CHECK_EQ(ide.in(BASE + 3), 0x01);
    CHECK_EQ(ide.in(BASE + 4), 0x00);
    CHECK_EQ(ide.in(BASE + 5), 0x00);
    ide.out(BASE + 6, 0xB0);
    CHECK_EQ(ide.error(), 0x01);
    CHECK_EQ(ide.status(), READY);
}

UNIT_TEST(ide_identify_packet_device_aborted_with_ata_signature)
{
    Primary ide;
    ide.out(BASE + 4, 0x55);
    ide.out(BASE + 5, 0xAA);
    ide.out(BASE + 7, 0xA1);
    CHECK_EQ(ide.status(), READY_ERR);
    CHECK_EQ(ide.error(), 0x04);
    CHECK_EQ(ide.in(BASE + 4), 0x00);
    CHECK_EQ(ide.in(BASE + 5), 0x00);
    CHECK_EQ(ide.in(BASE + 2), 0x01);
}

UNIT_TEST(ide_absent_slave_reads_status_zero_and_ignores_commands)
{
    Primary ide;
    ide.out(BASE + 6, 0xB0);
    CHECK_EQ(ide.status(), 0x00);
    CHECK_EQ(ide.alternate_status(), 0x00);
    CHECK_EQ(ide.error(), 0x00);
    ide.out(BASE + 2, 0x5A);
    ide.out(BASE + 3, 0xA5);
    CHECK_EQ(ide.in(BASE + 2), 0x5A); /* the registers latch what was written */
    CHECK_EQ(ide.in(BASE + 3), 0xA5);
    CHECK_EQ(ide.in(BASE + 6), 0xB0);
    ide.out(BASE + 7, 0xEC);
    CHECK_EQ(ide.status(), 0x00);
    CHECK(!ide.irq());
    CHECK_EQ(ide.word(), 0xFFFF);
    ide.out(BASE + 6, 0xA0);
    CHECK_EQ(ide.status(), READY); /* the master did not take it either */
}

UNIT_TEST(ide_channel_without_devices_floats)
{
    Primary ide(false, false);
    for (uint16_t port = BASE; port < BASE + 8; ++port)
        CHECK_EQ(ide.in(port), 0xFF);
    CHECK_EQ(ide.in(CONTROL), 0xFF);
    CHECK_EQ(ide.bus.read(BASE, 2, 0), 0xFFFFu);
    ide.out(BASE + 7, 0xEC);
    CHECK(!ide.irq());
}

UNIT_TEST(ide_32_bit_data_port_moves_two_words)
{
    Primary ide;
    ide.lba_command(0x20, 42, 1);
    std::vector<uint8_t> data;
    for (int i = 0; i < 128; ++i) {
        uint32_t value = ide.bus.read(BASE, 4, 0);
        for (int b = 0; b < 4; ++b)
            data.push_back(uint8_t(value >> (8 * b)));
    }
    CHECK(same_sector(data, 0, ide.master, 42));
    CHECK_EQ(ide.status(), READY);
    ide.lba_command(0x30, 43, 1);
    for (int i = 0; i < 128; ++i)
        ide.bus.write(BASE, 4, 0x04030201u + uint32_t(i), 0);
    CHECK_EQ(ide.status(), READY);
    CHECK_EQ(ide.master.sector_byte(43, 0), 0x01);
    CHECK_EQ(ide.master.sector_byte(43, 3), 0x04);
    CHECK_EQ(ide.master.sector_byte(43, 4), 0x02);
}

UNIT_TEST(ide_set_features_accepts_pio_modes_only)
{
    Primary ide;
    ide.out(BASE + 1, 0x03);
    ide.out(BASE + 2, 0x0C); /* PIO mode 4 */
    ide.out(BASE + 7, 0xEF);
    CHECK_EQ(ide.status(), READY);
    ide.out(BASE + 2, 0x00); /* PIO default */
    ide.out(BASE + 7, 0xEF);
    CHECK_EQ(ide.status(), READY);
    ide.out(BASE + 2, 0x45); /* UDMA 5: not offered */
    ide.out(BASE + 7, 0xEF);
    CHECK_EQ(ide.status(), READY_ERR);
    ide.out(BASE + 1, 0x02); /* write cache on */
    ide.out(BASE + 7, 0xEF);
    CHECK_EQ(ide.status(), READY);
    ide.out(BASE + 1, 0x77); /* unknown */
    ide.out(BASE + 7, 0xEF);
    CHECK_EQ(ide.status(), READY_ERR);
    CHECK_EQ(ide.error(), 0x04);
    ide.out(BASE + 7, 0xC8); /* READ DMA: no DMA */
    CHECK_EQ(ide.error(), 0x04);
}

UNIT_TEST(ide_intrq_follows_the_selected_device)
{
    Primary ide(true, true);
    ide.out(CONTROL, 0x00);
    ide.lba_command(0xE7, 0, 0, 1); /* the slave flushes and interrupts */
    CHECK(ide.irq());
    ide.out(BASE + 6, 0xA0); /* the master selected: its INTRQ is idle */
    CHECK(!ide.irq());
    ide.status();
    ide.out(BASE + 6, 0xB0);
    CHECK(ide.irq()); /* the slave's request was not acknowledged */
    ide.status();
    CHECK(!ide.irq());
}

UNIT_TEST(ide_secondary_channel_uses_its_ports_and_irq_15)
{
    FakeInterruptController pic;
    VectorStore store{64};
    IdeChannel channel{IdeChannel::SECONDARY_BASE, IdeChannel::SECONDARY_CONTROL, devices::IrqLine(pic, 15)};
    channel.device(0).attach(store, false, 2);
    CHECK(channel.handles(0x170) && channel.handles(0x177) && channel.handles(0x376));
    CHECK(!channel.handles(0x1F0) && !channel.handles(0x377) && !channel.handles(0x3F6));
    channel.write(0x176, 1, 0xE0, 0);
    channel.write(0x172, 1, 1, 0);
    channel.write(0x173, 1, 0, 0);
    channel.write(0x174, 1, 0, 0);
    channel.write(0x175, 1, 0, 0);
    channel.write(0x177, 1, 0x20, 0);
    CHECK(pic.level[15]);
    CHECK_EQ(channel.read(0x177, 1, 0), uint32_t(READY_DRQ));
    CHECK(!pic.level[15]);
}

UNIT_TEST(ide_each_command_interrupts_with_a_new_edge_without_status_reads)
{
    Primary ide;
    /* A driver whose handler only sends the PIC its EOI (never reads Status)
     * still gets an edge for each command: writing the Command register drops
     * INTRQ before the device asserts it again. */
    for (unsigned i = 1; i <= 3; ++i) {
        ide.out(BASE + 7, 0xE7);
        CHECK_EQ(ide.pic.rising_edges[14], i);
    }
}
