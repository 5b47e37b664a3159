/* Test guest "platform": the PC a guest sees beyond its CPU, as docs/devices.md
 * describes it, probed the way third-party kernels probe it: the CMOS clock
 * (MC146818A datasheet: BCD and binary, 24- and 12-hour form, SET, UIP, a
 * running clock), the CMOS memory bytes, a PCI bus scan through configuration
 * mechanism #1 that finds nothing, the BIOS data area, no ACPI, MP or option ROM
 * signatures in 0x9FC00-0x9FFFF and 0xC0000-0xFFFFF, and absent ISA devices
 * reading as a floating bus. One boot, many checks. */
#include "common/guest.h"
#include "common/port_io.h"
#include "common/text.h"

namespace guest {

const char GUEST_NAME[] = "platform";

namespace {

constexpr uint8_t RTC_SECONDS = 0x00, RTC_MINUTES = 0x02, RTC_HOURS = 0x04, RTC_DAY = 0x07, RTC_MONTH = 0x08,
                  RTC_YEAR = 0x09, RTC_A = 0x0A, RTC_B = 0x0B, RTC_D = 0x0D, RTC_CENTURY = 0x32;
constexpr uint8_t B_SET = 0x80, B_BINARY = 0x04, B_24_HOUR = 0x02;
constexpr uint8_t A_UIP = 0x80;
/* About 20 emulated seconds of polling at worst; a second takes far fewer. */
constexpr uint32_t MAX_POLLS = 2000000;

uint8_t cmos_read(uint8_t index)
{
    out8(0x70, index);
    return in8(0x71);
}

void cmos_write(uint8_t index, uint8_t value)
{
    out8(0x70, index);
    out8(0x71, value);
}

bool valid_bcd(uint8_t value, unsigned low, unsigned high)
{
    if ((value & 0x0F) > 9 || (value >> 4) > 9)
        return false;
    unsigned binary = (value >> 4) * 10 + (value & 0x0F);
    return binary >= low && binary <= high;
}

void check_value(const char* name, uint32_t value, uint32_t expected)
{
    Text reason;
    reason.add("read ").add_hex(value).add(", expected ").add_hex(expected);
    check(name, value == expected, reason.c_str());
}

void check_rtc_registers()
{
    check_value("rtc_status_d_valid_ram", cmos_read(RTC_D), 0x80);
    check_value("rtc_status_b_bcd_24_hour", cmos_read(RTC_B), B_24_HOUR);
    check_value("rtc_status_a_32khz_1024hz", cmos_read(RTC_A) & 0x7F, 0x26);
    uint8_t century = cmos_read(RTC_CENTURY);
    bool valid = valid_bcd(cmos_read(RTC_SECONDS), 0, 59) && valid_bcd(cmos_read(RTC_MINUTES), 0, 59) &&
                 valid_bcd(cmos_read(RTC_HOURS), 0, 23) && valid_bcd(cmos_read(RTC_DAY), 1, 31) &&
                 valid_bcd(cmos_read(RTC_MONTH), 1, 12) && valid_bcd(cmos_read(RTC_YEAR), 0, 99) &&
                 (century == 0x19 || century == 0x20 || century == 0x21);
    check("rtc_date_is_valid_bcd", valid, "a clock register is not a valid BCD date");
}

/* Waits for two changes of the seconds register: the clock runs, one second
 * after another, and UIP shows before each update. */
void check_rtc_ticks()
{
    uint8_t last = cmos_read(RTC_SECONDS);
    uint32_t changes = 0, uip_seen = 0, polls = 0;
    uint8_t first_new = 0, second_new = 0;
    for (; polls < MAX_POLLS && changes < 2; ++polls) {
        if (cmos_read(RTC_A) & A_UIP)
            ++uip_seen;
        uint8_t now = cmos_read(RTC_SECONDS);
        if (now != last) {
            (changes == 0 ? first_new : second_new) = now;
            ++changes;
            last = now;
        }
    }
    Text reason;
    reason.add_decimal(int32_t(changes)).add(" changes in ").add_decimal(int32_t(polls)).add(" polls");
    check("rtc_seconds_tick_over", changes == 2, reason.c_str());
    unsigned a = (first_new >> 4) * 10 + (first_new & 0xF), b = (second_new >> 4) * 10 + (second_new & 0xF);
    check("rtc_seconds_advance_by_one", b == (a + 1) % 60, "the second change did not add one second");
    check("rtc_update_in_progress_seen", uip_seen > 0, "UIP never read as 1 while the seconds changed");
}

void check_rtc_modes()
{
    /* Hold the clock, set 2031-07-04 12:34:56 in BCD, let it run again. */
    cmos_write(RTC_B, B_SET | B_24_HOUR);
    const uint8_t values[][2] = {{RTC_CENTURY, 0x20}, {RTC_YEAR, 0x31}, {RTC_MONTH, 0x07}, {RTC_DAY, 0x04},
                                 {RTC_HOURS, 0x12},   {RTC_MINUTES, 0x34}, {RTC_SECONDS, 0x56}};
    for (const auto& value : values)
        cmos_write(value[0], value[1]);
    check_value("rtc_set_holds_the_clock", cmos_read(RTC_SECONDS), 0x56);
    cmos_write(RTC_B, B_24_HOUR);
    bool date = cmos_read(RTC_YEAR) == 0x31 && cmos_read(RTC_MONTH) == 0x07 && cmos_read(RTC_DAY) == 0x04 &&
                cmos_read(RTC_HOURS) == 0x12 && cmos_read(RTC_MINUTES) == 0x34;
    check("rtc_runs_from_the_time_set", date, "the date or time written did not read back");
    cmos_write(RTC_B, B_24_HOUR | B_BINARY);
    check_value("rtc_binary_mode_year", cmos_read(RTC_YEAR), 31);
    check_value("rtc_binary_mode_minutes", cmos_read(RTC_MINUTES), 34);
    cmos_write(RTC_B, 0); /* BCD, 12-hour */
    check_value("rtc_twelve_hour_noon_is_pm", cmos_read(RTC_HOURS), 0x92);
    cmos_write(RTC_B, B_24_HOUR);
}

void check_cmos_bytes()
{
    const multiboot::Info* info = multiboot_info();
    check_value("cmos_base_memory_640k", cmos_read(0x15) | cmos_read(0x16) << 8, 640);
    uint32_t expected = info->mem_upper > 0xFC00 ? 0xFC00 : info->mem_upper;
    check_value("cmos_extended_memory_matches_mem_upper", cmos_read(0x30) | cmos_read(0x31) << 8, expected);
    uint32_t sum = 0;
    for (uint8_t index = 0x10; index < 0x2E; ++index)
        sum += cmos_read(index);
    check_value("cmos_checksum", uint32_t(cmos_read(0x2E) << 8 | cmos_read(0x2F)), sum);
    check_value("cmos_no_floppy", cmos_read(0x10), 0);
}

void check_pci()
{
    out32(0xCF8, 0x80000000);
    check_value("pci_address_reads_back", in32(0xCF8), 0x80000000);
    out32(0xCF8, 0xFFFFFFFF);
    check_value("pci_address_reserved_bits_read_zero", in32(0xCF8), 0x80FFFFFC);
    uint32_t found = 0;
    for (uint32_t bus = 0; bus < 256; ++bus)
        for (uint32_t device = 0; device < 32; ++device) {
            if (bus > 0 && device > 0)
                break; /* device 0 of every other bus, all of bus 0 */
            for (uint32_t function = 0; function < 8; ++function) {
                out32(0xCF8, 0x80000000 | bus << 16 | device << 11 | function << 8);
                if (in16(0xCFC) != 0xFFFF)
                    ++found;
            }
        }
    Text reason;
    reason.add_decimal(int32_t(found)).add(" functions answered");
    check("pci_scan_finds_no_device", found == 0, reason.c_str());
    check_value("pci_data_reads_all_ones", in32(0xCFC), 0xFFFFFFFF);
}

/* Guest-physical memory (paging is off). The address goes through an empty asm
 * so that the compiler does not take low addresses for null-pointer arithmetic. */
template <typename T> T physical(uint32_t address)
{
    asm("" : "+r"(address));
    return *reinterpret_cast<const volatile T*>(address);
}

uint16_t bda_word(uint32_t address) { return physical<uint16_t>(address); }
uint8_t bda_byte(uint32_t address) { return physical<uint8_t>(address); }

void check_bios_data_area()
{
    check_value("bda_com1_at_3f8", bda_word(0x400), 0x3F8);
    check_value("bda_no_com2", bda_word(0x402), 0);
    check_value("bda_no_ebda", bda_word(0x40E), 0);
    check_value("bda_equipment_word", bda_word(0x410), 0x0222);
    check_value("bda_base_memory_matches_mem_lower", bda_word(0x413), multiboot_info()->mem_lower);
    check_value("bda_video_mode_3", bda_byte(0x449), 3);
    check_value("bda_80_columns", bda_word(0x44A), 80);
    check_value("bda_crt_controller_3d4", bda_word(0x463), 0x3D4);
}

bool signature_at(uint32_t address, const char* signature)
{
    for (uint32_t i = 0; signature[i]; ++i)
        if (physical<char>(address + i) != signature[i])
            return false;
    return true;
}

/* Where the ACPI specification ("Finding the RSDP on IA-PC Systems") and the
 * MultiProcessor Specification 1.4 ("MP Floating Pointer Structure") look:
 * 16-byte boundaries of the EBDA's first KiB (there is none), the last KiB of
 * base memory and 0xE0000-0xFFFFF. */
void check_no_firmware_tables()
{
    uint32_t rsdp = 0, mp = 0, nonzero = 0, option_roms = 0;
    for (uint32_t address = 0xE0000; address < 0x100000; address += 16) {
        rsdp += signature_at(address, "RSD PTR ");
        mp += signature_at(address, "_MP_");
    }
    for (uint32_t address = 0x9FC00; address < 0xA0000; address += 16)
        mp += signature_at(address, "_MP_");
    for (uint32_t address = 0xC0000; address < 0x100000; address += 4)
        nonzero += physical<uint32_t>(address) != 0;
    for (uint32_t address = 0xC0000; address < 0xE0000; address += 2048)
        option_roms += bda_word(address) == 0xAA55;
    check("no_acpi_rsdp", rsdp == 0, "found 'RSD PTR '");
    check("no_mp_floating_pointer", mp == 0, "found '_MP_'");
    check("no_option_rom_signature", option_roms == 0, "found 0x55 0xAA at a 2 KiB boundary");
    check("bios_area_reads_zero", nonzero == 0, "0xC0000-0xFFFFF is not all zero");
}

void check_absent_isa_devices()
{
    /* COM2's line status register, the second parallel port, the floppy
     * controller's main status register, the secondary DMA controller's status. */
    check_value("com2_reads_ff", in8(0x2FD), 0xFF);
    check_value("lpt_reads_ff", in8(0x379), 0xFF);
    check_value("floppy_reads_ff", in8(0x3F4), 0xFF);
    check_value("unknown_word_reads_ffff", in16(0x2E8), 0xFFFF);
    check_value("rtc_index_port_reads_ff", in8(0x70), 0xFF);
}

} // namespace

void guest_main()
{
    check_rtc_registers();
    check_rtc_ticks();
    check_rtc_modes();
    check_cmos_bytes();
    check_pci();
    check_bios_data_area();
    check_no_firmware_tables();
    check_absent_isa_devices();
}

} // namespace guest
