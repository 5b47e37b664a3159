/* A 64-bit hypercall fuzzer (set "guestconfine", test fuzz_...) for our kernel running as a guest of
 * its own hypervisor: seeded random hypercalls of every number of abi/hypercall.h,
 * every file call among them, with full 64-bit handles, offsets, lengths and
 * pointers (non-canonical, unmapped, the top of the address space, upper halves
 * set, huge lengths). Each answer must be a negative errno or a value the call
 * can return, and the guest must carry on. docs/hypercalls.md, "Fuzzing", says
 * how to run it (tools/fuzz.py); the VM must be confined to a scratch directory
 * with hostfs=off, so that the fuzzer owns every handle and changes only that
 * directory. Command line: fuzz_seed=N (the first seed, N >= 1; without it the
 * test skips), fuzz_rounds=K (seeds N..N+K-1, default 1), fuzz_calls=C (per
 * seed, default 2000). */
#include "abi/fcntl.h"
#include "abi/hypercall.h"
#include "abi/limits.h"
#include "arch/x86_64/cpu.h"
#include "boot/boot.h"
#include "boot/cmdline.h"
#include "console/log.h"
#include "fs/hypercall_fs.h"
#include "mm/kernel_heap.h"
#include "test/kernel_test.h"

namespace {

/* Buffers the host may write into lie in this scratch block: an offset below
 * SLACK plus a length of at most HYPERCALL_FILE_IO_MAX stays inside it, so no
 * answer can land on the guest's own memory. */
constexpr size_t SLACK = 64 * 1024;
constexpr size_t SCRATCH_SIZE = HYPERCALL_FILE_IO_MAX + SLACK;
constexpr uint64_t LAST_ERRNO = 4095;

/* splitmix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
 * generators", 2014): every 64-bit seed gives a full-period, well-mixed stream. */
class Random {
public:
    explicit Random(uint64_t seed) : state_(seed) {}
    uint64_t next()
    {
        uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    uint64_t below(uint64_t bound) { return next() % bound; }
    template <typename T, size_t N> T pick(const T (&items)[N]) { return items[below(N)]; }

private:
    uint64_t state_;
};

/* Paths in and around the VM's root: climbing, slashes, a trailing slash, a name
 * one over NAME_MAX (filled in at run time), and names the calls create. */
const char* const PATHS[] = {"", "/", ".", "..", "../..", "/../../etc/motd", "f0", "f1", "d0", "d0/f2", "d0/../f1",
                             "d0/d1", "d0/d1/../../../..", "//d0///f0", "f0/", "d0/", "../secret", "hello.txt", "sub",
                             "sub/inner.txt", "/bin/ls", nullptr};

/* Addresses that must fault: null, low, non-canonical (both kinds), the top of the
 * address space, a higher-half hole our kernel never maps. */
const uint64_t BAD_ADDRESSES[] = {0,
                                  0x1000,
                                  0x0000800000000000ull,
                                  0x8000000000000000ull,
                                  0x7FFFFFFFFFFFFFFFull,
                                  0xFFFF7FFFFFFFF000ull,
                                  0xFFFFFFFFFFFFF000ull,
                                  0xFFFFFFFFFFFFFFFFull,
                                  0xFFFF900000000000ull};

/* Numbers for handles, offsets, sizes, flags and modes: edges of 32 and 64 bits. */
const uint64_t EDGES[] = {0,
                          1,
                          2,
                          63,
                          64,
                          HYPERCALL_FILE_ROOT,
                          HYPERCALL_FILE_POSITION,
                          0x7FFFFFFFull,
                          0x80000000ull,
                          0x100000000ull,
                          0x100000003ull,
                          HYPERCALL_FILE_IO_MAX,
                          HYPERCALL_FILE_IO_MAX + 1,
                          0x8000000000000000ull,
                          0x7FFFFFFFFFFFFFFFull,
                          0xFFFFFFFF00000000ull};

class Fuzzer {
public:
    Fuzzer(TestContext& t, uint8_t* scratch, uint64_t seed) : t_(t), random_(seed), scratch_(scratch), seed_(seed) {}

    void run(uint64_t calls)
    {
        for (uint64_t i = 0; i < calls && !t_.failed(); ++i)
            one_call();
        /* The guest carried on: the hypervisor still answers, and every handle the
         * calls left open closes. */
        for (uint64_t handle = 0; handle < HYPERCALL_FILE_HANDLES_MAX; ++handle)
            (void)cpu::vmcall(HYPERCALL_FILE_CLOSE, handle);
        uint64_t rbx = seed_;
        uint64_t version = vmcall_with_rbx(HYPERCALL_PING, rbx);
        if (version != HYPERCALL_ABI_VERSION || rbx != seed_ + 1)
            t_.fail("seed %lu: ping after the fuzzing answered %lu", seed_, version);
        log(LogCategory::test, "hcfuzz: seed %lu: %lu calls, %lu succeeded, %lu errno answers", seed_, calls,
            succeeded_, refused_);
    }

private:
    static uint64_t vmcall_with_rbx(uint64_t number, uint64_t& rbx)
    {
        uint64_t rcx = 0, rdx = 0, rsi = 0;
        asm volatile("vmcall" : "+a"(number), "+b"(rbx), "+c"(rcx), "+d"(rdx), "+S"(rsi) : : "memory");
        return number;
    }

    uint64_t any_value()
    {
        switch (random_.below(4)) {
        case 0: return random_.pick(EDGES);
        case 1: return random_.below(80);
        case 2: return random_.below(80) | (random_.next() << 32); /* upper half set */
        default: return random_.next();
        }
    }
    uint64_t handle()
    {
        if (random_.below(3) == 0)
            return any_value();
        return random_.below(HYPERCALL_FILE_HANDLES_MAX);
    }
    uint64_t at() { return random_.below(2) ? HYPERCALL_FILE_ROOT : handle(); }
    /* Non-canonical with random low bits: bit 47 set, bit 63 clear. */
    uint64_t bad_address()
    {
        if (random_.below(2))
            return random_.pick(BAD_ADDRESSES);
        return (random_.next() & 0x7FFF7FFFFFFFFFFFull) | 0x0000800000000000ull;
    }
    /* A buffer the host may write: inside the scratch block, or one that faults. */
    uint64_t out_buffer()
    {
        if (random_.below(3) == 0)
            return bad_address();
        return reinterpret_cast<uint64_t>(scratch_ + random_.below(SLACK));
    }
    /* A buffer the host only reads: also our own kernel's code and data. */
    uint64_t in_buffer()
    {
        if (random_.below(4) == 0)
            return reinterpret_cast<uint64_t>(&PATHS);
        return out_buffer();
    }
    uint64_t length()
    {
        switch (random_.below(4)) {
        case 0: return random_.pick(EDGES);
        case 1: return random_.below(5000);
        case 2: return random_.below(HYPERCALL_FILE_IO_MAX + 1);
        default: return random_.next();
        }
    }
    /* Offsets up to 4 GiB would make the host keep a chunk table that size: the
     * fuzzer stays small or far beyond (EFBIG, EINVAL) to keep CI's host memory. */
    uint64_t offset()
    {
        switch (random_.below(3)) {
        case 0: return random_.pick(EDGES);
        case 1: return random_.below(3 * 4096);
        default: return random_.next() | (uint64_t(1) << 40);
        }
    }
    uint64_t path()
    {
        if (random_.below(5) == 0)
            return bad_address();
        const char* text = PATHS[random_.below(sizeof(PATHS) / sizeof(PATHS[0]))];
        if (!text) {
            __builtin_memset(long_name_, 'n', NAME_MAX + 1);
            long_name_[NAME_MAX + 1] = '\0';
            text = long_name_;
        }
        return reinterpret_cast<uint64_t>(text);
    }

    void one_call()
    {
        uint64_t n = random_.below(40);
        uint64_t rbx = 0, rcx = 0, rdx = 0, rsi = 0;
        switch (n) {
        case HYPERCALL_PING: rbx = any_value(); break;
        /* Printed text ends up in the host's log: only short, or faulting. */
        case HYPERCALL_PRINT:
            if (random_.below(8) == 0) {
                rbx = reinterpret_cast<uint64_t>("hcfuzz");
                rcx = random_.below(7);
            } else {
                rbx = bad_address();
                rcx = length();
            }
            break;
        /* Never power off; a test report only with a bad name or outcome, so no
         * fake PASS line reaches the host's log. */
        case HYPERCALL_POWER_OFF: n = HYPERCALL_PING; break;
        case HYPERCALL_TEST_REPORT: rbx = bad_address(); rcx = any_value(); rdx = any_value(); break;
        case HYPERCALL_FILE_OPEN:
            rbx = at(); rcx = path(); rsi = any_value();
            rdx = random_.below(3) ? random_.below(0x20000) : any_value();
            break;
        case HYPERCALL_FILE_READ:
        case HYPERCALL_FILE_WRITE: rbx = handle(); rcx = n == HYPERCALL_FILE_READ ? out_buffer() : in_buffer(); rdx = length(); rsi = offset(); break;
        case HYPERCALL_FILE_LSEEK: rbx = handle(); rcx = any_value(); rdx = random_.below(2) ? random_.below(4) : any_value(); break;
        case HYPERCALL_FILE_STAT: rbx = at(); rcx = path(); rdx = out_buffer(); break;
        case HYPERCALL_FILE_FSTAT: rbx = handle(); rcx = out_buffer(); break;
        case HYPERCALL_FILE_MKDIR:
        case HYPERCALL_FILE_RMDIR:
        case HYPERCALL_FILE_UNLINK: rbx = at(); rcx = path(); rdx = any_value(); break;
        case HYPERCALL_FILE_TRUNCATE: rbx = at(); rcx = path(); rdx = offset(); break;
        case HYPERCALL_FILE_RENAME: rbx = at(); rcx = path(); rdx = at(); rsi = path(); break;
        case HYPERCALL_FILE_GETDENTS: rbx = handle(); rcx = out_buffer(); rdx = length(); rsi = offset(); break;
        case HYPERCALL_FILE_CLOSE: rbx = handle(); break;
        case HYPERCALL_FILE_FTRUNCATE: rbx = handle(); rcx = offset(); break;
        /* A ring only where none can be (a ring on a random page would have the
         * host write results over this guest): never page-aligned, or entries
         * that are no power of two up to 64. With no ring, notify is ENXIO. */
        case HYPERCALL_FILE_RING_SETUP:
            rbx = random_.below(2) ? any_value() | 1 : any_value();
            rcx = (rbx & 1) ? any_value() | 2 : HYPERCALL_RING_ENTRIES_MAX + 1 + random_.below(1000);
            break;
        case HYPERCALL_FILE_RING_NOTIFY: rbx = any_value(); break;
        default:
            /* Unknown: the gaps below 16, above the file calls, and any 64-bit number. */
            if (n > HYPERCALL_FILE_RING_NOTIFY)
                n = random_.below(2) ? n : random_.next() | (uint64_t(1) << 32);
            rbx = any_value(); rcx = any_value(); rdx = any_value(); rsi = any_value();
            break;
        }
        uint64_t answer = cpu::vmcall(n, rbx, rcx, rdx, rsi);
        if (answer >= uint64_t(-LAST_ERRNO)) {
            ++refused_;
            if (known(n) || answer == uint64_t(-int64_t(ENOSYS)))
                return;
        } else if (sane(n, answer, rdx)) {
            ++succeeded_;
            return;
        }
        t_.fail("seed %lu: hypercall %lu (%lx, %lx, %lx, %lx) answered %lx", seed_, n, rbx, rcx, rdx, rsi, answer);
    }

    static bool known(uint64_t n)
    {
        return n <= HYPERCALL_TEST_REPORT || (n >= HYPERCALL_FILE_FIRST && n <= HYPERCALL_FILE_RING_NOTIFY);
    }

    /* What a successful call may answer; RDX is the length of read, write, getdents. */
    static bool sane(uint64_t n, uint64_t answer, uint64_t rdx)
    {
        switch (n) {
        case HYPERCALL_PING: return answer == HYPERCALL_ABI_VERSION;
        case HYPERCALL_PRINT: return answer <= HYPERCALL_PRINT_MAX;
        case HYPERCALL_FILE_OPEN: return answer < HYPERCALL_FILE_HANDLES_MAX;
        case HYPERCALL_FILE_READ:
        case HYPERCALL_FILE_WRITE: return answer <= rdx && answer <= HYPERCALL_FILE_IO_MAX;
        case HYPERCALL_FILE_GETDENTS: return answer <= rdx && answer <= 64 * 1024;
        case HYPERCALL_FILE_LSEEK: return answer <= uint64_t(INT64_MAX);
        case HYPERCALL_TEST_REPORT: return false; /* always a bad name */
        case HYPERCALL_FILE_RING_SETUP:
        case HYPERCALL_FILE_RING_NOTIFY: return false; /* never a valid ring, never one set up */
        default: return answer == 0 && known(n);
        }
    }

    TestContext& t_;
    Random random_;
    uint8_t* scratch_;
    uint64_t seed_;
    uint64_t succeeded_ = 0, refused_ = 0;
    char long_name_[NAME_MAX + 2];
};

uint64_t number_option(const char* key, uint64_t fallback)
{
    CommandLine cmdline(boot_info().cmdline);
    char text[24];
    if (!cmdline.value(key, text, sizeof(text)) || text[0] < '0' || text[0] > '9')
        return fallback;
    uint64_t value = 0;
    for (const char* p = text; *p >= '0' && *p <= '9'; ++p)
        value = value * 10 + uint64_t(*p - '0');
    return value;
}

} // namespace

KERNEL_TEST(guestconfine, fuzz_random_hypercalls_get_an_errno_or_a_sane_answer)
{
    if (!HypercallFs::available()) {
        t.skip("not running under the Matryoshka hypervisor with files");
        return;
    }
    /* Only where asked for: it closes every handle, hostfs's ones too. */
    if (number_option("fuzz_seed", 0) == 0) {
        t.skip("no fuzz_seed=N on the command line");
        return;
    }
    auto* scratch = static_cast<uint8_t*>(kmalloc(SCRATCH_SIZE));
    if (!scratch) {
        t.fail("no memory for the scratch buffer");
        return;
    }
    uint64_t first = number_option("fuzz_seed", 1);
    uint64_t rounds = number_option("fuzz_rounds", 1);
    uint64_t calls = number_option("fuzz_calls", 2000);
    for (uint64_t seed = first; seed < first + rounds && !t.failed(); ++seed)
        Fuzzer(t, scratch, seed).run(calls);
    kfree(scratch);
}
