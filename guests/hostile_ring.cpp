/* Hostile guest "hostile_ring" (docs/hostile-guests.md): the file request ring
 * (docs/hypercalls.md, "The request ring") fed seeded random batches - file
 * calls with garbage handles, pointers and lengths, numbers that are no file
 * call (power off and the ring's own calls among them), the previous-result
 * marker - and scribbled on while its requests are served: reads and directory
 * listings whose buffer is the ring page itself overwrite the header and the
 * requests still waiting. Every notify must serve exactly what was queued (the
 * host reads `produced` once and each request once) and answer each with a
 * result or a negative errno. Then the guest lies: `produced` past the ring's
 * size, and the host must end the VM with the reason ("file ring: ..."). */
#include "abi/errno.h"
#include "abi/fcntl.h"
#include "abi/hypercall.h"
#include "common/guest.h"
#include "common/hostile.h"
#include "common/hypercall.h"

namespace guest {

const char GUEST_NAME[] = "hostile_ring";

namespace {

constexpr uint32_t CASES = 150;
constexpr uint32_t ENTRIES = HYPERCALL_RING_ENTRIES_MAX;
constexpr uint32_t LAST_ERRNO = 4095;

alignas(4096) uint8_t ring[4096];
alignas(4096) uint8_t scratch[3 * 4096];

struct Tally {
    uint32_t requests, ok, enosys, other_errno, scribbles;
    uint32_t wrong_count, insane, wrong_consumed;
};

volatile hypercall_ring_header& header() { return *reinterpret_cast<volatile hypercall_ring_header*>(ring); }
volatile hypercall_ring_request& slot(uint32_t index)
{
    return reinterpret_cast<volatile hypercall_ring_request*>(ring + HYPERCALL_RING_REQUESTS_OFFSET)[index % ENTRIES];
}
int64_t result(uint32_t index)
{
    return reinterpret_cast<volatile int64_t*>(ring + HYPERCALL_RING_RESULTS_OFFSET(ENTRIES))[index % ENTRIES];
}

uint32_t address(const void* pointer) { return uint32_t(uintptr_t(pointer)); }

/* A buffer the host may write, and a length: inside the scratch, or inside the
 * ring page before its results (the scribble: the header and the requests still
 * waiting), or at an address outside RAM (EFAULT), or a length past
 * HYPERCALL_FILE_IO_MAX (EINVAL). Never anything else of this guest. */
struct Buffer {
    uint64_t address, length;
};

Buffer random_buffer(Random& random, bool& scribbles)
{
    uint32_t offset;
    switch (random.below(7)) {
    case 0:
    case 1:
        scribbles = true;
        offset = random.below(HYPERCALL_RING_RESULTS_OFFSET(ENTRIES));
        return {address(ring) + offset, random.below(HYPERCALL_RING_RESULTS_OFFSET(ENTRIES) - offset + 1)};
    case 2: return {0xFFFFF000u + random.below(4096), 4096};
    case 3: return {address(scratch), HYPERCALL_FILE_IO_MAX + 1 + random.below(1000)};
    case 4: return {address(scratch), uint64_t(random.next() | 0x80000000u) << 32 | random.next()};
    default:
        offset = random.below(sizeof(scratch));
        return {address(scratch) + offset, random.below(uint32_t(sizeof(scratch)) - offset + 1)};
    }
}

uint64_t random_handle(Random& random, uint64_t directory, uint64_t file)
{
    switch (random.below(6)) {
    case 0:
    case 1: return directory;
    case 2: return file;
    case 3: return HYPERCALL_RING_PREVIOUS_RESULT;
    case 4: return HYPERCALL_FILE_ROOT;
    default: return random.below(70);
    }
}

uint64_t random_number(Random& random)
{
    switch (random.below(10)) {
    case 0: return HYPERCALL_POWER_OFF; /* not a file call: ENOSYS, the VM lives on */
    case 1: return HYPERCALL_FILE_RING_SETUP + random.below(2);
    case 2: return uint64_t(random.next()) << 32 | random.next();
    case 3:
    case 4: return HYPERCALL_FILE_GETDENTS;
    case 5:
    case 6: return HYPERCALL_FILE_READ;
    default: return HYPERCALL_FILE_FIRST + random.below(HYPERCALL_FILE_LAST - HYPERCALL_FILE_FIRST + 1);
    }
}

bool is_file_call(uint64_t number) { return number >= HYPERCALL_FILE_FIRST && number <= HYPERCALL_FILE_LAST; }

} // namespace

void guest_main()
{
    uint32_t seed = command_line_seed();
    Random random(seed);
    for (uint32_t i = 0; i < sizeof(scratch); ++i)
        scratch[i] = uint8_t(random.next());
    /* A path in the scratch for open, stat and the rest: mostly ENOENT. */
    const char name[] = "guests";
    for (uint32_t i = 0; i < sizeof(name); ++i)
        scratch[i] = uint8_t(name[i]);
    int32_t set = hypercall(HYPERCALL_FILE_RING_SETUP, address(ring), ENTRIES).status;
    check("ring_set_up", set == 0, "file_ring_setup refused a page of guest RAM");
    uint64_t directory = uint32_t(hypercall(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT, address("/"), O_RDONLY).status);
    uint64_t file = uint32_t(hypercall(HYPERCALL_FILE_OPEN, HYPERCALL_FILE_ROOT, address("/guests/hostile_ring"),
                                       O_RDONLY).status);
    Tally tally = {};
    uint32_t produced = 0;
    for (uint32_t round = 0; round < CASES; ++round) {
        uint32_t count = 1 + random.below(ENTRIES);
        uint64_t numbers[ENTRIES];
        for (uint32_t i = 0; i < count; ++i) {
            bool scribbles = false;
            uint64_t number = random_number(random);
            volatile hypercall_ring_request& request = slot(produced + i);
            request.number = number;
            /* Mostly the handle the call can use, so that most scribbles land. */
            uint64_t fitting = number == HYPERCALL_FILE_GETDENTS ? directory : file;
            request.arguments[0] = random.below(4) ? fitting : random_handle(random, directory, file);
            Buffer buffer = random_buffer(random, scribbles);
            /* stat writes its struct stat at RDX; the others write at RCX (or
             * only read there: paths of open, mkdir, rename...). */
            bool path_first = number == HYPERCALL_FILE_OPEN || number == HYPERCALL_FILE_STAT ||
                              number == HYPERCALL_FILE_MKDIR || number == HYPERCALL_FILE_RMDIR ||
                              number == HYPERCALL_FILE_UNLINK || number == HYPERCALL_FILE_TRUNCATE ||
                              number == HYPERCALL_FILE_RENAME;
            if ((number == HYPERCALL_FILE_STAT || number == HYPERCALL_FILE_FSTAT) && buffer.length < 32)
                buffer = {0xFFFFF000u, 32};
            request.arguments[1] = path_first ? address(scratch) : buffer.address;
            request.arguments[2] = number == HYPERCALL_FILE_STAT ? buffer.address
                                   : number == HYPERCALL_FILE_RENAME ? random_handle(random, directory, file)
                                                                     : buffer.length;
            request.arguments[3] = number == HYPERCALL_FILE_RENAME ? address(scratch)
                                   : random.chance(2)              ? HYPERCALL_FILE_POSITION
                                                                   : random.below(8192);
            numbers[i] = number;
            tally.scribbles += scribbles;
        }
        /* Written anew each round: a scribbling request of the last round may have
         * changed it (the host must not have read it again since). */
        produced += count;
        header().produced = produced;
        int32_t served = hypercall(HYPERCALL_FILE_RING_NOTIFY).status;
        if (served != int32_t(count))
            ++tally.wrong_count;
        if (header().consumed != produced)
            ++tally.wrong_consumed; /* the host writes it after the last request */
        for (uint32_t i = 0; i < count; ++i) {
            int64_t answer = result(produced - count + i);
            ++tally.requests;
            bool is_errno = answer < 0 && answer >= -int64_t(LAST_ERRNO);
            if (answer >= 0 && is_file_call(numbers[i]))
                ++tally.ok;
            else if (answer == -ENOSYS)
                ++tally.enosys;
            else if (is_errno && is_file_call(numbers[i]))
                ++tally.other_errno;
            else
                ++tally.insane;
        }
    }
    HostileSummary(seed, CASES)
        .add("requests", tally.requests).add("ok", tally.ok).add("enosys", tally.enosys)
        .add("errno", tally.other_errno).add("scribbles", tally.scribbles).send();
    check("every_notify_serves_what_was_queued", tally.wrong_count == 0, "a notify served another count");
    check("consumed_follows_the_queue", tally.wrong_consumed == 0, "consumed is not what was queued");
    check("every_answer_is_a_result_or_an_errno", tally.insane == 0, "a request got no sane answer");
    /* The lie: more queued than the ring holds. The host ends the VM here. */
    header().produced = produced + ENTRIES + 1;
    hypercall(HYPERCALL_FILE_RING_NOTIFY);
    check("a_producer_past_the_ring_ends_the_vm", false, "the host served a ring that lies");
}

} // namespace guest
