/* Which allocation fails on purpose; see fault_injector.h. */
#include "mm/fault_injector.h"

namespace {

/* A decimal number >= 1 that fills `text` exactly; 0 for anything else. */
uint64_t parse_count(const char* text, size_t length)
{
    if (length == 0 || length > 18)
        return 0;
    uint64_t value = 0;
    for (size_t i = 0; i < length; ++i) {
        if (text[i] < '0' || text[i] > '9')
            return 0;
        value = value * 10 + uint64_t(text[i] - '0');
    }
    return value;
}

size_t length_of(const char* text)
{
    size_t length = 0;
    while (text[length])
        ++length;
    return length;
}

bool equals(const char* text, size_t length, const char* word)
{
    size_t i = 0;
    for (; i < length && word[i]; ++i) {
        if (text[i] != word[i])
            return false;
    }
    return i == length && !word[i];
}

} // namespace

void FaultInjector::arm(Mode mode, uint64_t interval, unsigned sites)
{
    if (mode == Mode::off || interval == 0) {
        (void)disarm();
        return;
    }
    mode_ = mode;
    interval_ = interval;
    sites_ = sites & ALL_SITES;
    counted_ = 0;
    failed_ = 0;
}

uint64_t FaultInjector::disarm()
{
    mode_ = Mode::off;
    return counted_;
}

bool FaultInjector::arm_from_text(const char* text)
{
    if (!text)
        return false;
    constexpr char EVERY[] = "every:";
    constexpr size_t EVERY_LENGTH = sizeof(EVERY) - 1;
    size_t length = length_of(text);
    Mode mode = Mode::nth;
    if (length > EVERY_LENGTH && equals(text, EVERY_LENGTH, EVERY)) {
        mode = Mode::every;
        text += EVERY_LENGTH;
        length -= EVERY_LENGTH;
    }
    uint64_t interval = parse_count(text, length);
    if (interval == 0)
        return false;
    arm(mode, interval, filter_);
    return true;
}

bool FaultInjector::set_filter_from_text(const char* text)
{
    if (!text || !*text)
        return false;
    unsigned sites = 0;
    while (*text) {
        size_t length = 0;
        while (text[length] && text[length] != ',')
            ++length;
        if (equals(text, length, "heap"))
            sites |= SITE_HEAP;
        else if (equals(text, length, "page"))
            sites |= SITE_PAGE;
        else
            return false;
        text += length;
        if (*text == ',')
            ++text;
    }
    filter_ = sites;
    return true;
}

bool FaultInjector::should_fail(Site site)
{
    if (mode_ == Mode::off || !(sites_ & (1u << unsigned(site))))
        return false;
    ++counted_;
    bool fail = mode_ == Mode::nth ? counted_ == interval_ : counted_ % interval_ == 0;
    if (fail)
        ++failed_;
    return fail;
}
