/* Seed, PRNG and summary line of the hostile guests; see hostile.h. */
#include "common/hostile.h"

#include "common/guest.h"
#include "common/hypercall.h"

namespace guest {

namespace {

constexpr char SEED_WORD[] = "seed=";

/* Parses decimal digits; stops at the first other character. */
uint32_t parse_decimal(const char* text)
{
    uint32_t value = 0;
    for (; *text >= '0' && *text <= '9'; ++text)
        value = value * 10 + uint32_t(*text - '0');
    return value;
}

bool starts_with(const char* text, const char* prefix)
{
    for (; *prefix; ++prefix, ++text) {
        if (*text != *prefix)
            return false;
    }
    return true;
}

/* The word of the command line starting with `prefix`, or nullptr. Words are
 * separated by spaces. */
const char* find_word(const char* prefix)
{
    const multiboot::Info* info = multiboot_info();
    if (!info || !(info->flags & multiboot::INFO_CMDLINE) || info->cmdline == 0)
        return nullptr;
    for (const char* word = reinterpret_cast<const char*>(uintptr_t(info->cmdline)); *word;) {
        if (starts_with(word, prefix))
            return word;
        while (*word && *word != ' ')
            ++word;
        while (*word == ' ')
            ++word;
    }
    return nullptr;
}

} // namespace

uint32_t command_line_seed()
{
    const char* word = find_word(SEED_WORD);
    return word ? parse_decimal(word + sizeof(SEED_WORD) - 1) : 1;
}

bool command_line_has(const char* wanted)
{
    const char* word = find_word(wanted);
    if (!word)
        return false;
    size_t length = string_length(wanted);
    return word[length] == '\0' || word[length] == ' ';
}

HostileSummary::HostileSummary(uint32_t seed, uint32_t cases)
{
    constexpr char PREFIX[] = "hostile_";
    const char* hostile_class = GUEST_NAME;
    if (starts_with(hostile_class, PREFIX))
        hostile_class += sizeof(PREFIX) - 1;
    line_.add("HOSTILE ").add(hostile_class);
    add("seed", seed).add("cases", cases);
}

HostileSummary& HostileSummary::add(const char* key, uint32_t value)
{
    /* Text prints signed numbers; the counts here stay far below 2^31. */
    line_.add(" ").add(key).add("=").add_decimal(int32_t(value));
    return *this;
}

HostileSummary& HostileSummary::add_hex(const char* key, uint32_t value)
{
    line_.add(" ").add(key).add("=").add_hex(value);
    return *this;
}

HostileSummary& HostileSummary::add_text(const char* key, const char* value)
{
    line_.add(" ").add(key).add("=").add(value);
    return *this;
}

void HostileSummary::send() { (void)print(line_.c_str(), uint32_t(line_.length())); }

} // namespace guest
