/* sha256sum: prints the SHA-256 of each named file as "HEX  NAME", like coreutils
 * (what a test compares a VM's disk image with). Follows FIPS 180-4, "SHA-256":
 * padding ("Padding the Message"), the message schedule and the 64 rounds
 * ("SHA-256 Hash Computation"), the constants of "SHA-224 and SHA-256 Constants". */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

namespace {

constexpr uint32_t ROUND_CONSTANTS[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

constexpr uint32_t rotate_right(uint32_t value, unsigned bits) { return value >> bits | value << (32 - bits); }

class Sha256 {
public:
    void update(const uint8_t* data, size_t length)
    {
        total_bytes_ += length;
        while (length > 0) {
            size_t take = sizeof(block_) - used_ < length ? sizeof(block_) - used_ : length;
            memcpy(block_ + used_, data, take);
            used_ += take;
            data += take;
            length -= take;
            if (used_ == sizeof(block_)) {
                compress();
                used_ = 0;
            }
        }
    }

    /* The digest as 64 lowercase hex digits and a NUL. */
    void finish(char* hex)
    {
        uint64_t total_bits = total_bytes_ * 8;
        uint8_t padding = 0x80;
        update(&padding, 1);
        padding = 0;
        while (used_ != 56)
            update(&padding, 1);
        uint8_t length[8];
        for (int i = 0; i < 8; ++i)
            length[i] = uint8_t(total_bits >> (56 - 8 * i));
        update(length, 8);
        for (int i = 0; i < 8; ++i)
            snprintf(hex + 8 * i, 9, "%08x", state_[i]);
    }

private:
    void compress()
    {
        uint32_t schedule[64];
        for (int i = 0; i < 16; ++i)
            schedule[i] = uint32_t(block_[4 * i]) << 24 | uint32_t(block_[4 * i + 1]) << 16 |
                          uint32_t(block_[4 * i + 2]) << 8 | block_[4 * i + 3];
        for (int i = 16; i < 64; ++i) {
            uint32_t s0 = rotate_right(schedule[i - 15], 7) ^ rotate_right(schedule[i - 15], 18) ^ (schedule[i - 15] >> 3);
            uint32_t s1 = rotate_right(schedule[i - 2], 17) ^ rotate_right(schedule[i - 2], 19) ^ (schedule[i - 2] >> 10);
            schedule[i] = schedule[i - 16] + s0 + schedule[i - 7] + s1;
        }
        uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
        uint32_t e = state_[4], f = state_[5], g = state_[6], h = state_[7];
        for (int i = 0; i < 64; ++i) {
            uint32_t sum1 = rotate_right(e, 6) ^ rotate_right(e, 11) ^ rotate_right(e, 25);
            uint32_t choose = (e & f) ^ (~e & g);
            uint32_t t1 = h + sum1 + choose + ROUND_CONSTANTS[i] + schedule[i];
            uint32_t sum0 = rotate_right(a, 2) ^ rotate_right(a, 13) ^ rotate_right(a, 22);
            uint32_t majority = (a & b) ^ (a & c) ^ (b & c);
            uint32_t t2 = sum0 + majority;
            h = g;
            g = f;
            f = e;
            e = d + t1;
            d = c;
            c = b;
            b = a;
            a = t1 + t2;
        }
        state_[0] += a;
        state_[1] += b;
        state_[2] += c;
        state_[3] += d;
        state_[4] += e;
        state_[5] += f;
        state_[6] += g;
        state_[7] += h;
    }

    uint32_t state_[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                          0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
    uint8_t block_[64] = {};
    size_t used_ = 0;
    uint64_t total_bytes_ = 0;
};

/* Hashes `fd` to its end; false on a read error. */
bool hash_file(int fd, char* hex)
{
    static uint8_t buffer[16384];
    Sha256 sha;
    for (;;) {
        ssize_t got = read(fd, buffer, sizeof(buffer));
        if (got < 0)
            return false;
        if (got == 0)
            break;
        sha.update(buffer, size_t(got));
    }
    sha.finish(hex);
    return true;
}

} // namespace

int main(int argc, char** argv)
{
    char hex[65];
    if (argc < 2) {
        if (!hash_file(STDIN_FILENO, hex))
            return 1;
        printf("%s  -\n", hex);
        return 0;
    }
    int status = 0;
    for (int i = 1; i < argc; ++i) {
        int fd = open(argv[i], O_RDONLY);
        if (fd < 0 || !hash_file(fd, hex)) {
            dprintf(STDERR_FILENO, "sha256sum: %s: %s\n", argv[i], strerror(errno));
            status = 1;
        } else {
            printf("%s  %s\n", hex, argv[i]);
        }
        if (fd >= 0)
            close(fd);
    }
    return status;
}
