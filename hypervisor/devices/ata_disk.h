/* One ATA disk (a "device" of an IDE channel): its IDENTIFY DEVICE data, CHS and
 * LBA28 addressing and the commands of the General feature set, executed against
 * a SectorStore. Follows ATA/ATAPI-6 (ANSI INCITS 361-2002): "Command
 * descriptions" (IDENTIFY DEVICE, READ/WRITE SECTORS, READ/WRITE MULTIPLE, SET
 * MULTIPLE MODE, INITIALIZE DEVICE PARAMETERS, SET FEATURES, FLUSH CACHE, EXECUTE
 * DEVICE DIAGNOSTIC, IDENTIFY PACKET DEVICE), "PIO data-in/data-out command
 * protocol", "Non-data command protocol" and "Status register"/"Error register".
 *
 * The disk knows nothing of ports: hypervisor/devices/ide_controller is the
 * channel that decodes them, holds the registers both devices latch (TaskFile),
 * selects a device and drives INTRQ. Commands complete at once (BSY is never
 * seen, except during a software reset): the host may poll or wait for the
 * interrupt, both see the same end state.
 *
 * Not modelled: DMA (IDENTIFY offers none, so the DMA commands are aborted),
 * the 48-bit Address feature set (capacity beyond 2^28 - 1 sectors is cut to it),
 * the PACKET feature set, power management states (the power commands succeed
 * and the disk stays active), reverting to power-on defaults (multiple mode and
 * CHS translation survive a software reset). */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace devices {

/* Where a disk's sectors live: a host file in the kernel, a vector in tests.
 * Sector numbers and counts reaching it are always within sector_count(). A
 * false return is a host I/O failure, which the disk reports to the guest as
 * an aborted command (never a host panic). */
class SectorStore {
public:
    static constexpr size_t SECTOR_SIZE = 512;

    virtual uint64_t sector_count() const = 0;
    [[nodiscard]] virtual bool read_sectors(uint64_t lba, uint32_t count, uint8_t* out) = 0;
    [[nodiscard]] virtual bool write_sectors(uint64_t lba, uint32_t count, const uint8_t* data) = 0;
    /* Makes written sectors durable (FLUSH CACHE). */
    [[nodiscard]] virtual bool flush() { return true; }

protected:
    ~SectorStore() = default;
};

/* The command block registers as the host wrote them. On a real channel each
 * device latches every write, so both hold the same values; the channel keeps
 * one copy, and a device's results (signatures) are written back into it. */
struct TaskFile {
    uint8_t features = 0;
    uint8_t sector_count = 0;
    uint8_t lba_low = 0;  /* Sector Number in CHS */
    uint8_t lba_mid = 0;  /* Cylinder Low */
    uint8_t lba_high = 0; /* Cylinder High */
    uint8_t device = 0;   /* Device/Head: bit 6 LBA, bit 4 DEV, bits 3-0 head or LBA 27:24 */
};

/* Status register bits ("Status register"). DSC (bit 4, "device seek complete"
 * in ATA-3, command-specific since) is kept set as drives and emulators do. */
enum AtaStatus : uint8_t {
    ATA_STATUS_ERR = 0x01,
    ATA_STATUS_DRQ = 0x08,
    ATA_STATUS_DSC = 0x10,
    ATA_STATUS_DF = 0x20,
    ATA_STATUS_DRDY = 0x40,
    ATA_STATUS_BSY = 0x80,
};

/* Error register bits ("Error register"). */
enum AtaError : uint8_t {
    ATA_ERROR_ABRT = 0x04,
    ATA_ERROR_IDNF = 0x10,
    ATA_ERROR_UNC = 0x40,
};

/* The commands this disk knows (ATA/ATAPI-6 "Command codes" table). */
enum AtaCommand : uint8_t {
    ATA_RECALIBRATE = 0x10, /* 0x10-0x1F, obsolete */
    ATA_READ_SECTORS = 0x20,
    ATA_READ_SECTORS_NO_RETRY = 0x21,
    ATA_WRITE_SECTORS = 0x30,
    ATA_WRITE_SECTORS_NO_RETRY = 0x31,
    ATA_READ_VERIFY_SECTORS = 0x40,
    ATA_READ_VERIFY_SECTORS_NO_RETRY = 0x41,
    ATA_SEEK = 0x70, /* 0x70-0x7F */
    ATA_EXECUTE_DEVICE_DIAGNOSTIC = 0x90,
    ATA_INITIALIZE_DEVICE_PARAMETERS = 0x91,
    ATA_IDENTIFY_PACKET_DEVICE = 0xA1,
    ATA_READ_MULTIPLE = 0xC4,
    ATA_WRITE_MULTIPLE = 0xC5,
    ATA_SET_MULTIPLE_MODE = 0xC6,
    ATA_STANDBY_IMMEDIATE = 0xE0,
    ATA_IDLE_IMMEDIATE = 0xE1,
    ATA_STANDBY = 0xE2,
    ATA_IDLE = 0xE3,
    ATA_CHECK_POWER_MODE = 0xE5,
    ATA_FLUSH_CACHE = 0xE7,
    ATA_IDENTIFY_DEVICE = 0xEC,
    ATA_SET_FEATURES = 0xEF,
};

class AtaDisk {
public:
    static constexpr size_t SECTOR_SIZE = SectorStore::SECTOR_SIZE;
    static constexpr size_t WORDS_PER_SECTOR = SECTOR_SIZE / 2;
    /* IDENTIFY word 47: the most sectors one READ/WRITE MULTIPLE block holds. */
    static constexpr unsigned MAX_MULTIPLE = 16;
    /* LBA28 reaches sectors 0 .. 2^28 - 2: IDENTIFY words 60-61 hold at most this. */
    static constexpr uint64_t MAX_LBA28_SECTORS = 0x0FFFFFFF;
    /* The error register after a diagnostic or reset that passed ("EXECUTE DEVICE
     * DIAGNOSTIC", "Diagnostic codes"); device 0 adds 0x80 when device 1 failed. */
    static constexpr uint8_t DIAGNOSTIC_PASSED = 0x01;
    static constexpr uint8_t DIAGNOSTIC_DEVICE1_FAILED = 0x80;

    /* An absent device until attach(). */
    AtaDisk() = default;
    AtaDisk(const AtaDisk&) = delete;
    AtaDisk& operator=(const AtaDisk&) = delete;

    /* Plugs in a disk over `store` (kept, not owned). `unit` (0-3) makes its
     * serial number unique within the VM. */
    void attach(SectorStore& store, bool read_only, unsigned unit);
    bool present() const { return store_ != nullptr; }
    bool read_only() const { return read_only_; }
    /* Addressable sectors: the store's size, cut to LBA28. */
    uint32_t capacity() const { return capacity_; }

    uint8_t status() const { return status_; }
    uint8_t error() const { return error_; }
    /* The device's interrupt request (the host reads INTRQ only while nIEN is
     * clear and this device is selected; the channel decides). */
    bool interrupt_pending() const { return interrupt_pending_; }
    /* Reading the Status register acknowledges the interrupt. */
    void acknowledge_interrupt() { interrupt_pending_ = false; }
    /* Interrupts asserted so far: a new one is a new edge for the PIC even when
     * the host never acknowledged the previous one (the device drops INTRQ when
     * a command is written and asserts it again at the next block or the end). */
    uint32_t interrupts_raised() const { return interrupts_raised_; }

    /* A command written to the Command register while this device is selected. */
    void execute(uint8_t command, TaskFile& registers);
    /* Software reset: SRST set (BSY, the command in progress abandoned) and then
     * cleared (the ATA signature in `registers`, error = diagnostic code). */
    void begin_reset();
    void finish_reset(TaskFile& registers, uint8_t diagnostic_code);
    /* Its part of EXECUTE DEVICE DIAGNOSTIC (the channel runs it on both devices):
     * like a reset, and an interrupt from device 0 ("Device 0 shall... assert INTRQ"). */
    void finish_diagnostic(TaskFile& registers, uint8_t diagnostic_code, bool interrupts);

    /* The Data register during DRQ: 16 bits at a time, in sector byte order
     * (the low byte is the earlier one). Outside DRQ reads give 0xFFFF and
     * writes vanish. */
    uint16_t read_data();
    void write_data(uint16_t word);

    /* The 256 words IDENTIFY DEVICE returns (for tests and the log). */
    void identify_data(uint16_t* words) const;
    unsigned multiple_count() const { return multiple_count_; }
    uint16_t cylinders() const { return cylinders_; }
    uint8_t heads() const { return heads_; }
    uint8_t sectors_per_track() const { return sectors_per_track_; }

private:
    enum class Transfer : uint8_t { none, data_in, data_out };
    enum class Purpose : uint8_t { identify, read, write };

    void complete(TaskFile& registers);
    void fail(uint8_t error_bits);
    void raise_interrupt()
    {
        interrupt_pending_ = true;
        ++interrupts_raised_;
    }
    void set_default_geometry();
    void set_current_geometry(uint8_t heads, uint8_t sectors_per_track);
    /* The first sector a command addresses (LBA or CHS); false: IDNF. */
    bool start_sector(const TaskFile& registers, uint64_t& lba) const;
    bool check_range(const TaskFile& registers, uint64_t& lba, uint32_t& count) const;
    void start_read(const TaskFile& registers, bool multiple);
    void start_write(const TaskFile& registers, bool multiple);
    void read_verify(TaskFile& registers);
    void load_next_block();
    void next_write_block();
    void finish_data_out();
    void set_multiple_mode(TaskFile& registers);
    void initialize_device_parameters(TaskFile& registers);
    void set_features(TaskFile& registers);
    void flush_cache(TaskFile& registers);
    void identify(TaskFile& registers);
    static void write_signature(TaskFile& registers);

    SectorStore* store_ = nullptr;
    bool read_only_ = false;
    unsigned unit_ = 0;
    uint32_t capacity_ = 0;
    uint16_t default_cylinders_ = 0;
    uint8_t default_heads_ = 0, default_sectors_per_track_ = 0;
    uint16_t cylinders_ = 0;
    uint8_t heads_ = 0, sectors_per_track_ = 0;
    unsigned multiple_count_ = 0; /* 0: multiple mode off */

    uint8_t status_ = 0;
    uint8_t error_ = 0;
    bool interrupt_pending_ = false;
    uint32_t interrupts_raised_ = 0;

    /* The PIO transfer in progress: the block in `buffer_`, the host at
     * `position_` of `block_bytes_`; `sectors_left_` from `next_lba_` on
     * after this block. */
    Transfer transfer_ = Transfer::none;
    Purpose purpose_ = Purpose::read;
    bool multiple_ = false;
    uint64_t next_lba_ = 0;
    uint32_t sectors_left_ = 0;
    uint32_t block_sectors_ = 0;
    size_t position_ = 0;
    size_t block_bytes_ = 0;
    uint8_t buffer_[MAX_MULTIPLE * SECTOR_SIZE] = {};
};

} // namespace devices
