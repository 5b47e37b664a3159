/* Virtual-processor identifiers handed out from a pool: VPID 0 is the host's and
 * may not be a guest's (SDM revision 084, Vol. 3C, "Checks on VMX Controls": VM
 * entry fails with VPID 0 when "enable VPID" is 1), and no two live VMs may share
 * one, or one VM's cached linear translations would serve the other's (SDM
 * "Virtual-Processor Identifiers (VPIDs)"). Pure logic, unit-tested on the build
 * machine; the caller invalidates a VPID (INVVPID) when it frees it. */
#pragma once
#include <stddef.h>
#include <stdint.h>

namespace vmx {

class VpidPool {
public:
    static constexpr uint16_t FIRST = 1;
    static constexpr uint16_t LAST = 0xFFFF;
    /* A value allocate() never returns: every VPID is in use. */
    static constexpr uint16_t NONE = 0;

    /* The first free VPID at or after the cursor, wrapping from LAST to FIRST;
     * the cursor moves past it, so a freed VPID is reused as late as possible. */
    [[nodiscard]] uint16_t allocate();
    /* Gives `vpid` back; freeing NONE or a free VPID changes nothing. */
    void free(uint16_t vpid);
    bool in_use(uint16_t vpid) const { return (words_[vpid / 64] >> (vpid % 64)) & 1; }
    size_t in_use_count() const { return in_use_count_; }
    /* The next search starts at `vpid` (NONE means FIRST): the test hook that
     * brings the wrap near without starting 65,535 VMs. */
    void restart_at(uint16_t vpid) { cursor_ = vpid == NONE ? FIRST : vpid; }

private:
    static constexpr size_t WORDS = 65536 / 64;
    uint64_t words_[WORDS] = {};
    uint16_t cursor_ = FIRST;
    size_t in_use_count_ = 0;
};

} // namespace vmx
