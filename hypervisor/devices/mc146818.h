/* The CMOS real-time clock of a PC/AT, a Motorola MC146818A at ports 0x70 (index,
 * bit 7 masking NMIs) and 0x71 (data): a clock of seconds to years kept in BCD or
 * binary and 12- or 24-hour form as status register B says, the update-in-progress
 * bit of status A, status C's flags read-and-clear, status D's valid-RAM bit, and
 * the battery-backed bytes BIOSes leave there (memory sizes, equipment, century at
 * 0x32). Follows the Motorola MC146818A datasheet ("Address Map", "Time, Calendar
 * and Alarm Locations", "Registers") and the IBM PC/AT Technical Reference's CMOS
 * RAM address map.
 *
 * The clock runs on the guest's time: it reads the wall-clock time the platform
 * gives it once (the host's own clock at VM creation) plus the nanoseconds passed
 * since, as the callers' `now_ns` count them; a guest that sets the clock moves it
 * for itself only. RTC interrupts (IRQ 8) are never raised: status C's periodic
 * and update-ended flags can be polled, and the interrupt-enable bits of status B
 * are stored. FIXME: IRQ 8 for PIE/UIE/AIE when a guest needs it. */
#pragma once
#include "hypervisor/devices/port_device.h"

namespace devices {

class Mc146818 final : public PortDevice {
public:
    static constexpr uint16_t INDEX_PORT = 0x70, DATA_PORT = 0x71;
    static constexpr uint8_t NMI_DISABLE = 0x80; /* in the index port */
    static constexpr size_t CMOS_BYTES = 128;

    /* The clock and status registers, "Address Map". */
    enum Register : uint8_t {
        SECONDS = 0x00,
        SECONDS_ALARM = 0x01,
        MINUTES = 0x02,
        MINUTES_ALARM = 0x03,
        HOURS = 0x04,
        HOURS_ALARM = 0x05,
        DAY_OF_WEEK = 0x06,
        DAY_OF_MONTH = 0x07,
        MONTH = 0x08,
        YEAR = 0x09,
        STATUS_A = 0x0A,
        STATUS_B = 0x0B,
        STATUS_C = 0x0C,
        STATUS_D = 0x0D,
        /* The PC/AT's bytes in battery-backed RAM. */
        SHUTDOWN_STATUS = 0x0F,
        FLOPPY_TYPES = 0x10,
        HARD_DISK_TYPES = 0x12,
        EQUIPMENT = 0x14,
        BASE_MEMORY_LOW = 0x15, /* KiB below 1 MiB, 640 */
        BASE_MEMORY_HIGH = 0x16,
        EXTENDED_MEMORY_LOW = 0x17, /* KiB above 1 MiB, at most 0xFC00 (63 MiB) */
        EXTENDED_MEMORY_HIGH = 0x18,
        CHECKSUM_HIGH = 0x2E, /* the sum of bytes 0x10-0x2D, big endian */
        CHECKSUM_LOW = 0x2F,
        POST_EXTENDED_MEMORY_LOW = 0x30, /* the same KiB as 0x17-0x18, as POST found them */
        POST_EXTENDED_MEMORY_HIGH = 0x31,
        CENTURY = 0x32,
        MEMORY_ABOVE_16M_LOW = 0x34, /* 64 KiB blocks between 16 MiB and 4 GiB */
        MEMORY_ABOVE_16M_HIGH = 0x35,
    };

    static constexpr uint8_t A_UPDATE_IN_PROGRESS = 0x80; /* UIP, read only */
    static constexpr uint8_t A_DEFAULT = 0x26;            /* 32.768 kHz time base, 1024 Hz periodic rate */
    static constexpr uint8_t B_SET = 0x80;                /* updates stopped while the guest sets the clock */
    static constexpr uint8_t B_PIE = 0x40, B_AIE = 0x20, B_UIE = 0x10;
    static constexpr uint8_t B_BINARY = 0x04;             /* DM: binary, else BCD */
    static constexpr uint8_t B_24_HOUR = 0x02;
    static constexpr uint8_t B_DEFAULT = B_24_HOUR;       /* BCD, 24-hour, as BIOSes leave it */
    static constexpr uint8_t C_IRQF = 0x80, C_PF = 0x40, C_AF = 0x20, C_UF = 0x10;
    static constexpr uint8_t D_VALID_RAM = 0x80;
    static constexpr uint8_t HOUR_PM = 0x80; /* in 12-hour form */
    /* UIP is set for the last 244 us before each update ("Update Cycle"). */
    static constexpr uint64_t UPDATE_WARNING_NS = 244000;
    static constexpr uint64_t NS_PER_SECOND = 1000000000;

    /* The battery-backed bytes as a BIOS leaves them for a machine with
     * `ram_bytes` of RAM from address 0, no floppy or hard disk (the IDE model
     * may claim drives later), a math coprocessor and a VGA; the clock reads
     * 1970-01-01 00:00:00 until set_wall_clock(). */
    explicit Mc146818(uint64_t ram_bytes);

    /* From `now_ns` on, the clock reads `unix_seconds` (seconds since 1970-01-01
     * 00:00:00) plus the time passed since. */
    void set_wall_clock(int64_t unix_seconds, uint64_t now_ns);
    /* What the clock reads at `now_ns`, in seconds since 1970 (for tests and logs). */
    int64_t wall_clock(uint64_t now_ns) const;

    bool handles(uint16_t port) const override { return port == INDEX_PORT || port == DATA_PORT; }
    /* The index port is write only and reads as a floating bus (0xFF), as on
     * QEMU's and most chipsets' RTC. */
    uint32_t read(uint16_t port, unsigned size, uint64_t now_ns) override;
    void write(uint16_t port, unsigned size, uint32_t value, uint64_t now_ns) override;

    /* Whether the guest's last index write set the NMI-disable bit. */
    bool nmi_disabled() const { return nmi_disabled_; }
    /* A byte as the guest reads it (the clock registers computed at `now_ns`). */
    uint8_t read_register(uint8_t index, uint64_t now_ns);

private:
    struct Time {
        int64_t year;
        unsigned month, day, hour, minute, second, weekday;
    };

    static Time time_from_seconds(int64_t seconds);
    static int64_t seconds_from_time(const Time& time);
    uint8_t encode(unsigned value) const;
    unsigned decode(uint8_t value) const;
    uint8_t encode_hour(unsigned hour) const;
    unsigned decode_hour(uint8_t value) const;
    /* The clock's registers 0x00-0x09 and the century from `time`, in the form B says. */
    void store_time(const Time& time);
    /* The time the clock registers hold, each field forced into its range. */
    Time registers_time() const;
    /* Brings registers 0x00-0x09 and 0x32 up to `now_ns` (nothing while SET holds them). */
    void update_clock(uint64_t now_ns);
    void write_register(uint8_t index, uint8_t value, uint64_t now_ns);
    void update_checksum();
    uint8_t read_status_c(uint64_t now_ns);
    uint64_t periodic_interval_ns() const;

    uint8_t cmos_[CMOS_BYTES] = {};
    uint8_t index_ = 0;
    bool nmi_disabled_ = false;
    /* The clock reads base_seconds_ at base_ns_ and runs on from there. */
    int64_t base_seconds_ = 0;
    uint64_t base_ns_ = 0;
    /* Where status C's update-ended and periodic flags were last cleared. */
    int64_t last_c_second_ = 0;
    uint64_t last_c_period_ = 0;
    uint8_t pending_flags_ = 0;
};

} // namespace devices
