/* One ATA disk; see ata_disk.h. Section titles are those of ATA/ATAPI-6. */
#include "hypervisor/devices/ata_disk.h"

namespace devices {

namespace {

constexpr uint8_t READY = ATA_STATUS_DRDY | ATA_STATUS_DSC;
constexpr uint8_t DEVICE_LBA = 0x40;
/* "INITIALIZE DEVICE PARAMETERS" and IDENTIFY words 1/3/6: the translation a
 * BIOS expects for disks up to 8 GiB (16 heads, 63 sectors per track). */
constexpr uint8_t DEFAULT_HEADS = 16, DEFAULT_SECTORS_PER_TRACK = 63;
constexpr uint16_t MAX_DEFAULT_CYLINDERS = 16383;
constexpr uint8_t SET_FEATURES_TRANSFER_MODE = 0x03;

/* IDENTIFY strings: two ASCII characters per word, the first in the high byte,
 * padded with spaces ("IDENTIFY DEVICE", words 10-19, 23-26, 27-46). */
void put_string(uint16_t* words, unsigned first_word, unsigned word_count, const char* text)
{
    for (unsigned i = 0; i < word_count * 2; ++i) {
        char c = *text ? *text++ : ' ';
        uint16_t& word = words[first_word + i / 2];
        word = uint16_t(i % 2 == 0 ? (word & 0x00FF) | uint16_t(uint8_t(c)) << 8 : (word & 0xFF00) | uint8_t(c));
    }
}

uint32_t min32(uint64_t a, uint64_t b) { return uint32_t(a < b ? a : b); }

} // namespace

void AtaDisk::attach(SectorStore& store, bool read_only, unsigned unit)
{
    store_ = &store;
    read_only_ = read_only;
    unit_ = unit;
    capacity_ = min32(store.sector_count(), MAX_LBA28_SECTORS);
    set_default_geometry();
    multiple_count_ = 0;
    status_ = READY;
    error_ = DIAGNOSTIC_PASSED;
}

/* The power-on translation, and IDENTIFY words 1, 3 and 6. A disk too small for
 * one 16-head cylinder gets one head and as many sectors per track as fit. */
void AtaDisk::set_default_geometry()
{
    uint32_t per_cylinder = DEFAULT_HEADS * DEFAULT_SECTORS_PER_TRACK;
    if (capacity_ >= per_cylinder) {
        default_heads_ = DEFAULT_HEADS;
        default_sectors_per_track_ = DEFAULT_SECTORS_PER_TRACK;
        default_cylinders_ = uint16_t(min32(capacity_ / per_cylinder, MAX_DEFAULT_CYLINDERS));
    } else {
        default_heads_ = 1;
        default_sectors_per_track_ = uint8_t(min32(capacity_, DEFAULT_SECTORS_PER_TRACK));
        default_cylinders_ = uint16_t(default_sectors_per_track_ ? capacity_ / default_sectors_per_track_ : 0);
    }
    cylinders_ = default_cylinders_;
    heads_ = default_heads_;
    sectors_per_track_ = default_sectors_per_track_;
}

/* "INITIALIZE DEVICE PARAMETERS": the cylinder count follows from the capacity;
 * a translation whose cylinders would not fit word 54 is cut to 65535. */
void AtaDisk::set_current_geometry(uint8_t heads, uint8_t sectors_per_track)
{
    heads_ = heads;
    sectors_per_track_ = sectors_per_track;
    cylinders_ = uint16_t(min32(capacity_ / (uint32_t(heads) * sectors_per_track), 0xFFFF));
}

void AtaDisk::write_signature(TaskFile& registers)
{
    /* "Signature and persistence": an ATA device's signature. */
    registers.sector_count = 0x01;
    registers.lba_low = 0x01;
    registers.lba_mid = 0x00;
    registers.lba_high = 0x00;
    registers.device = 0x00;
}

void AtaDisk::begin_reset()
{
    transfer_ = Transfer::none;
    interrupt_pending_ = false;
    status_ = ATA_STATUS_BSY;
}

void AtaDisk::finish_reset(TaskFile& registers, uint8_t diagnostic_code)
{
    transfer_ = Transfer::none;
    status_ = READY;
    error_ = diagnostic_code;
    write_signature(registers);
}

void AtaDisk::finish_diagnostic(TaskFile& registers, uint8_t diagnostic_code, bool interrupts)
{
    finish_reset(registers, diagnostic_code);
    interrupt_pending_ = false;
    if (interrupts)
        raise_interrupt();
}

/* Normal end of a non-data command, or of a data-out command's last block. */
void AtaDisk::complete(TaskFile&)
{
    transfer_ = Transfer::none;
    status_ = READY;
    error_ = 0;
    raise_interrupt();
}

/* "Error outputs": ERR with the reason in the Error register, and the interrupt
 * that ends every command. */
void AtaDisk::fail(uint8_t error_bits)
{
    transfer_ = Transfer::none;
    status_ = READY | ATA_STATUS_ERR;
    error_ = error_bits;
    raise_interrupt();
}

void AtaDisk::execute(uint8_t command, TaskFile& registers)
{
    if (!present())
        return;
    /* A new command abandons a transfer the host left unfinished. */
    transfer_ = Transfer::none;
    interrupt_pending_ = false;
    if ((command & 0xF0) == ATA_RECALIBRATE || (command & 0xF0) == ATA_SEEK) {
        complete(registers);
        return;
    }
    switch (command) {
    case ATA_READ_SECTORS:
    case ATA_READ_SECTORS_NO_RETRY: start_read(registers, false); break;
    case ATA_WRITE_SECTORS:
    case ATA_WRITE_SECTORS_NO_RETRY: start_write(registers, false); break;
    case ATA_READ_MULTIPLE: start_read(registers, true); break;
    case ATA_WRITE_MULTIPLE: start_write(registers, true); break;
    case ATA_READ_VERIFY_SECTORS:
    case ATA_READ_VERIFY_SECTORS_NO_RETRY: read_verify(registers); break;
    case ATA_SET_MULTIPLE_MODE: set_multiple_mode(registers); break;
    case ATA_INITIALIZE_DEVICE_PARAMETERS: initialize_device_parameters(registers); break;
    case ATA_SET_FEATURES: set_features(registers); break;
    case ATA_FLUSH_CACHE: flush_cache(registers); break;
    case ATA_IDENTIFY_DEVICE: identify(registers); break;
    case ATA_IDENTIFY_PACKET_DEVICE:
        /* "IDENTIFY PACKET DEVICE": a device without the PACKET feature set aborts
         * and leaves its signature, which is how hosts tell a disk from ATAPI. */
        write_signature(registers);
        fail(ATA_ERROR_ABRT);
        break;
    case ATA_CHECK_POWER_MODE:
        registers.sector_count = 0xFF; /* active or idle */
        complete(registers);
        break;
    case ATA_STANDBY_IMMEDIATE:
    case ATA_IDLE_IMMEDIATE:
    case ATA_STANDBY:
    case ATA_IDLE: complete(registers); break;
    default: fail(ATA_ERROR_ABRT); break; /* DMA, 48-bit, PACKET, unknown */
    }
}

/* "LBA addressing" / "CHS addressing": the first sector the registers name. In
 * CHS mode the address must lie inside the current translation. */
bool AtaDisk::start_sector(const TaskFile& registers, uint64_t& lba) const
{
    if (registers.device & DEVICE_LBA) {
        lba = uint64_t(registers.device & 0x0F) << 24 | uint64_t(registers.lba_high) << 16 |
              uint64_t(registers.lba_mid) << 8 | registers.lba_low;
        return true;
    }
    uint32_t cylinder = uint32_t(registers.lba_high) << 8 | registers.lba_mid;
    uint32_t head = registers.device & 0x0F;
    uint32_t sector = registers.lba_low;
    if (sector == 0 || sector > sectors_per_track_ || head >= heads_ || cylinder >= cylinders_)
        return false;
    lba = (uint64_t(cylinder) * heads_ + head) * sectors_per_track_ + (sector - 1);
    return true;
}

/* The sectors a read or write names; a Sector Count of 0 means 256. The whole
 * range must lie on the disk, otherwise IDNF before any data moves. */
bool AtaDisk::check_range(const TaskFile& registers, uint64_t& lba, uint32_t& count) const
{
    count = registers.sector_count ? registers.sector_count : 256;
    return start_sector(registers, lba) && lba < capacity_ && count <= capacity_ - lba;
}

void AtaDisk::start_read(const TaskFile& registers, bool multiple)
{
    uint64_t lba;
    uint32_t count;
    if (multiple && multiple_count_ == 0)
        return fail(ATA_ERROR_ABRT); /* "READ MULTIPLE": multiple mode not enabled */
    if (!check_range(registers, lba, count))
        return fail(ATA_ERROR_IDNF);
    purpose_ = Purpose::read;
    multiple_ = multiple;
    next_lba_ = lba;
    sectors_left_ = count;
    load_next_block();
}

/* "PIO data-in command protocol": each block is read from the store, DRQ set and
 * the interrupt asserted; the host then takes the block from the Data register. */
void AtaDisk::load_next_block()
{
    block_sectors_ = multiple_ ? min32(sectors_left_, multiple_count_) : 1;
    if (!store_->read_sectors(next_lba_, block_sectors_, buffer_))
        return fail(ATA_ERROR_ABRT); /* the host's file failed, not the medium */
    next_lba_ += block_sectors_;
    sectors_left_ -= block_sectors_;
    transfer_ = Transfer::data_in;
    position_ = 0;
    block_bytes_ = block_sectors_ * SECTOR_SIZE;
    status_ = READY | ATA_STATUS_DRQ;
    error_ = 0;
    raise_interrupt();
}

void AtaDisk::start_write(const TaskFile& registers, bool multiple)
{
    uint64_t lba;
    uint32_t count;
    if (multiple && multiple_count_ == 0)
        return fail(ATA_ERROR_ABRT);
    if (read_only_)
        return fail(ATA_ERROR_ABRT); /* the host attached the disk read-only */
    if (!check_range(registers, lba, count))
        return fail(ATA_ERROR_IDNF);
    purpose_ = Purpose::write;
    multiple_ = multiple;
    next_lba_ = lba;
    sectors_left_ = count;
    /* "PIO data-out command protocol": the first block's DRQ comes without an
     * interrupt. */
    next_write_block();
}

void AtaDisk::next_write_block()
{
    block_sectors_ = multiple_ ? min32(sectors_left_, multiple_count_) : 1;
    transfer_ = Transfer::data_out;
    position_ = 0;
    block_bytes_ = block_sectors_ * SECTOR_SIZE;
    status_ = READY | ATA_STATUS_DRQ;
    error_ = 0;
}

/* The host filled a block: it goes to the store, then the next block's DRQ or
 * the command's end, each with an interrupt. */
void AtaDisk::finish_data_out()
{
    if (!store_->write_sectors(next_lba_, block_sectors_, buffer_))
        return fail(ATA_ERROR_ABRT);
    next_lba_ += block_sectors_;
    sectors_left_ -= block_sectors_;
    if (sectors_left_ == 0) {
        transfer_ = Transfer::none;
        status_ = READY;
        error_ = 0;
        raise_interrupt();
        return;
    }
    next_write_block();
    raise_interrupt();
}

/* "READ VERIFY SECTORS": reads without transferring; a non-data command. */
void AtaDisk::read_verify(TaskFile& registers)
{
    uint64_t lba;
    uint32_t count;
    if (!check_range(registers, lba, count))
        return fail(ATA_ERROR_IDNF);
    for (uint32_t done = 0; done < count;) {
        uint32_t chunk = min32(count - done, MAX_MULTIPLE);
        if (!store_->read_sectors(lba + done, chunk, buffer_))
            return fail(ATA_ERROR_ABRT);
        done += chunk;
    }
    complete(registers);
}

/* "SET MULTIPLE MODE": a power of two up to word 47's maximum; 0 turns it off. */
void AtaDisk::set_multiple_mode(TaskFile& registers)
{
    unsigned count = registers.sector_count;
    if (count > MAX_MULTIPLE || (count & (count - 1)) != 0)
        return fail(ATA_ERROR_ABRT);
    multiple_count_ = count;
    complete(registers);
}

/* "INITIALIZE DEVICE PARAMETERS": sectors per track from Sector Count, heads
 * from the Device register's head bits plus one. */
void AtaDisk::initialize_device_parameters(TaskFile& registers)
{
    if (registers.sector_count == 0)
        return fail(ATA_ERROR_ABRT);
    set_current_geometry(uint8_t((registers.device & 0x0F) + 1), registers.sector_count);
    complete(registers);
}

/* "SET FEATURES": the transfer mode (PIO default or modes 0-4 of word 64; the
 * disk offers no DMA) and the cache switches, which change nothing here since
 * every write reaches the store at once. */
void AtaDisk::set_features(TaskFile& registers)
{
    switch (registers.features) {
    case SET_FEATURES_TRANSFER_MODE: {
        uint8_t mode = registers.sector_count;
        bool pio_default = mode == 0x00 || mode == 0x01;
        bool pio_mode = (mode & 0xF8) == 0x08 && (mode & 0x07) <= 4;
        if (!pio_default && !pio_mode)
            return fail(ATA_ERROR_ABRT);
        break;
    }
    case 0x02: /* enable write cache */
    case 0x82: /* disable write cache */
    case 0xAA: /* enable read look-ahead */
    case 0x55: /* disable read look-ahead */
    case 0x66: /* disable reverting to power-on defaults */
    case 0xCC: /* enable reverting to power-on defaults */
        break;
    default: return fail(ATA_ERROR_ABRT);
    }
    complete(registers);
}

void AtaDisk::flush_cache(TaskFile& registers)
{
    if (!store_->flush())
        return fail(ATA_ERROR_ABRT);
    complete(registers);
}

void AtaDisk::identify(TaskFile&)
{
    uint16_t words[WORDS_PER_SECTOR];
    identify_data(words);
    for (size_t i = 0; i < WORDS_PER_SECTOR; ++i) {
        buffer_[2 * i] = uint8_t(words[i]);
        buffer_[2 * i + 1] = uint8_t(words[i] >> 8);
    }
    purpose_ = Purpose::identify;
    transfer_ = Transfer::data_in;
    sectors_left_ = 0;
    position_ = 0;
    block_bytes_ = SECTOR_SIZE;
    status_ = READY | ATA_STATUS_DRQ;
    error_ = 0;
    raise_interrupt();
}

/* "IDENTIFY DEVICE" data, word by word. */
void AtaDisk::identify_data(uint16_t* words) const
{
    for (size_t i = 0; i < WORDS_PER_SECTOR; ++i)
        words[i] = 0;
    words[0] = 0x0040; /* ATA device (bit 15 clear), not removable */
    words[1] = default_cylinders_;
    words[3] = default_heads_;
    words[6] = default_sectors_per_track_;
    char serial[21] = "MATRYOSHKA-DISK-0000";
    serial[19] = char('0' + unit_ % 10);
    put_string(words, 10, 10, serial);
    put_string(words, 23, 4, "1.0");
    put_string(words, 27, 20, "Matryoshka ATA disk");
    words[47] = 0x8000 | MAX_MULTIPLE;
    words[49] = 0x0A00; /* LBA supported, IORDY supported; no DMA */
    words[50] = 0x4000;
    words[51] = 0x0200; /* obsolete PIO timing mode: 2 */
    words[53] = 0x0007; /* words 54-58, 64-70 and 88 are valid */
    words[54] = cylinders_;
    words[55] = heads_;
    words[56] = sectors_per_track_;
    uint32_t chs_capacity = uint32_t(cylinders_) * heads_ * sectors_per_track_;
    words[57] = uint16_t(chs_capacity);
    words[58] = uint16_t(chs_capacity >> 16);
    words[59] = uint16_t(multiple_count_ ? 0x0100 | multiple_count_ : 0);
    words[60] = uint16_t(capacity_);
    words[61] = uint16_t(capacity_ >> 16);
    words[64] = 0x0003; /* PIO modes 3 and 4 */
    words[67] = 120;    /* minimum PIO cycle time without IORDY, ns */
    words[68] = 120;    /* with IORDY */
    words[80] = 0x007E; /* ATA-1 to ATA-6 */
    words[82] = 0x0000;
    words[83] = 0x5000; /* valid (bit 14), FLUSH CACHE supported (bit 12) */
    words[84] = 0x4000;
    words[85] = 0x0000;
    words[86] = 0x1000;
    words[87] = 0x4000;
    /* words[88] = 0: no Ultra DMA mode. Word 255: signature 0xA5 and a checksum
     * that makes all 512 bytes sum to 0 ("Integrity word"). */
    uint8_t sum = 0xA5;
    for (size_t i = 0; i < WORDS_PER_SECTOR - 1; ++i)
        sum = uint8_t(sum + uint8_t(words[i]) + uint8_t(words[i] >> 8));
    words[255] = uint16_t(uint16_t(uint8_t(-sum)) << 8 | 0xA5);
}

uint16_t AtaDisk::read_data()
{
    if (transfer_ != Transfer::data_in)
        return 0xFFFF;
    uint16_t word = uint16_t(buffer_[position_] | buffer_[position_ + 1] << 8);
    position_ += 2;
    if (position_ < block_bytes_)
        return word;
    if (purpose_ == Purpose::read && sectors_left_ > 0) {
        load_next_block();
    } else {
        /* The last block was taken: no interrupt ("PIO data-in": the host reads
         * the status when it has read the data). */
        transfer_ = Transfer::none;
        status_ = READY;
    }
    return word;
}

void AtaDisk::write_data(uint16_t word)
{
    if (transfer_ != Transfer::data_out)
        return;
    buffer_[position_] = uint8_t(word);
    buffer_[position_ + 1] = uint8_t(word >> 8);
    position_ += 2;
    if (position_ == block_bytes_)
        finish_data_out();
}

} // namespace devices
