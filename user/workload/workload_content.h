/* What the file workload (user/programs/workload.cpp) writes: the size and bytes of
 * file INDEX in round ROUND of a run with SEED, all from SplitMix64, so the same
 * three numbers give the same file anywhere. tools/matryoshka/workload.py computes
 * the same in Python, which is how the soak tool checks files it never wrote. */
#pragma once

#include <stddef.h>
#include <stdint.h>

namespace workload {

constexpr int FILES_PER_ROUND = 6;
constexpr size_t MIN_FILE_SIZE = 256;
constexpr size_t FILE_SIZE_SPREAD = 6144; /* sizes are MIN_FILE_SIZE + [0, spread) */

/* SplitMix64 (Steele, Lea, Flood: "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): a Weyl sequence through a 64-bit finaliser. */
class ContentStream {
public:
    ContentStream(uint64_t seed, uint64_t round, uint64_t index)
        : state_(seed * 0xD1342543DE82EF95ull + round * 0x9E3779B97F4A7C15ull + index * 0xBF58476D1CE4E5B9ull)
    {
        size_ = MIN_FILE_SIZE + size_t(next() % FILE_SIZE_SPREAD);
    }

    size_t size() const { return size_; }

    /* The file's bytes in order: eight from each number, lowest byte first. */
    uint8_t next_byte()
    {
        if (left_ == 0) {
            word_ = next();
            left_ = 8;
        }
        uint8_t byte = uint8_t(word_);
        word_ >>= 8;
        --left_;
        return byte;
    }

private:
    uint64_t next()
    {
        state_ += 0x9E3779B97F4A7C15ull;
        uint64_t z = state_;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }

    uint64_t state_;
    size_t size_;
    uint64_t word_ = 0;
    int left_ = 0;
};

/* FNV-1a, 64 bit: the checksum a run prints over its final files, in index order. */
class Checksum {
public:
    void add(const uint8_t* bytes, size_t count)
    {
        for (size_t i = 0; i < count; ++i)
            value_ = (value_ ^ bytes[i]) * 0x100000001B3ull;
    }
    void add(uint8_t byte) { add(&byte, 1); }
    uint64_t value() const { return value_; }

private:
    uint64_t value_ = 0xCBF29CE484222325ull;
};

/* The checksum of every file of one round, as `workload check` prints it. */
inline uint64_t round_checksum(uint64_t seed, uint64_t round)
{
    Checksum sum;
    for (int index = 0; index < FILES_PER_ROUND; ++index) {
        ContentStream stream(seed, round, uint64_t(index));
        for (size_t i = 0; i < stream.size(); ++i)
            sum.add(stream.next_byte());
    }
    return sum.value();
}

} // namespace workload
