"""SVM constants, written once: the #VMEXIT codes of the VMCB's EXITCODE field.
tools/gen_svm.py turns this file into the kernel's hypervisor/svm/svm_constants.h
(in the build folder); tools/matryoshka/svm.py loads it for the Python tooling
(the GDB helper mx-vmcb, trace decoders). Plain data only: no imports, no code.

Follows the AMD64 Architecture Programmer's Manual, Volume 2 (revision 3.42),
Appendix C "SVM Intercept Exit Codes".

Exit codes reach 0x403 while the exit statistics keep 80 counters per VM
(abi/vm.h, VM_STATS_REASONS): each entry's position in EXIT_CODES is its counter
("slot"). A range entry (first, last) counts every code in it under one name.
Names are the C++ enum value names (snake_case); texts are the APM's words.
"""

APM_REVISION = "AMD64 APM Vol. 2 (revision 3.42)"

# (first code, last code, name, text), in slot order; at most 80 entries.
EXIT_CODES = [
    (0x000, 0x00F, "cr_read", "Read of CR0-CR15"),
    (0x010, 0x01F, "cr_write", "Write of CR0-CR15"),
    (0x020, 0x02F, "dr_read", "Read of DR0-DR15"),
    (0x030, 0x03F, "dr_write", "Write of DR0-DR15"),
    (0x041, 0x041, "exception_db", "Exception vector 1 (#DB)"),
    (0x042, 0x042, "exception_nmi", "Exception vector 2 (NMI)"),
    (0x046, 0x046, "exception_ud", "Exception vector 6 (#UD)"),
    (0x048, 0x048, "exception_df", "Exception vector 8 (#DF)"),
    (0x04D, 0x04D, "exception_gp", "Exception vector 13 (#GP)"),
    (0x04E, 0x04E, "exception_pf", "Exception vector 14 (#PF)"),
    (0x052, 0x052, "exception_mc", "Exception vector 18 (#MC)"),
    (0x040, 0x05F, "exception_other", "Another exception vector (0-31)"),
    (0x060, 0x060, "intr", "Physical INTR (maskable interrupt)"),
    (0x061, 0x061, "nmi", "Physical NMI"),
    (0x062, 0x062, "smi", "Physical SMI"),
    (0x063, 0x063, "init", "Physical INIT"),
    (0x064, 0x064, "vintr", "Virtual INTR"),
    (0x065, 0x065, "cr0_sel_write", "Write of CR0 that changed bits other than TS or MP"),
    (0x066, 0x066, "idtr_read", "Read of IDTR"),
    (0x067, 0x067, "gdtr_read", "Read of GDTR"),
    (0x068, 0x068, "ldtr_read", "Read of LDTR"),
    (0x069, 0x069, "tr_read", "Read of TR"),
    (0x06A, 0x06A, "idtr_write", "Write of IDTR"),
    (0x06B, 0x06B, "gdtr_write", "Write of GDTR"),
    (0x06C, 0x06C, "ldtr_write", "Write of LDTR"),
    (0x06D, 0x06D, "tr_write", "Write of TR"),
    (0x06E, 0x06E, "rdtsc", "RDTSC instruction"),
    (0x06F, 0x06F, "rdpmc", "RDPMC instruction"),
    (0x070, 0x070, "pushf", "PUSHF instruction"),
    (0x071, 0x071, "popf", "POPF instruction"),
    (0x072, 0x072, "cpuid", "CPUID instruction"),
    (0x073, 0x073, "rsm", "RSM instruction"),
    (0x074, 0x074, "iret", "IRET instruction"),
    (0x075, 0x075, "swint", "Software interrupt (INTn instructions)"),
    (0x076, 0x076, "invd", "INVD instruction"),
    (0x077, 0x077, "pause", "PAUSE instruction"),
    (0x078, 0x078, "hlt", "HLT instruction"),
    (0x079, 0x079, "invlpg", "INVLPG instructions"),
    (0x07A, 0x07A, "invlpga", "INVLPGA instruction"),
    (0x07B, 0x07B, "ioio", "IN or OUT accessing protected port"),
    (0x07C, 0x07C, "msr", "RDMSR or WRMSR access to protected MSR"),
    (0x07D, 0x07D, "task_switch", "Task switch"),
    (0x07E, 0x07E, "ferr_freeze", "FP legacy handling enabled, and processor is frozen in an x87/mmx instruction"),
    (0x07F, 0x07F, "shutdown", "Shutdown"),
    (0x080, 0x080, "vmrun", "VMRUN instruction"),
    (0x081, 0x081, "vmmcall", "VMMCALL instruction"),
    (0x082, 0x082, "vmload", "VMLOAD instruction"),
    (0x083, 0x083, "vmsave", "VMSAVE instruction"),
    (0x084, 0x084, "stgi", "STGI instruction"),
    (0x085, 0x085, "clgi", "CLGI instruction"),
    (0x086, 0x086, "skinit", "SKINIT instruction"),
    (0x087, 0x087, "rdtscp", "RDTSCP instruction"),
    (0x088, 0x088, "icebp", "ICEBP instruction"),
    (0x089, 0x089, "wbinvd", "WBINVD or WBNOINVD instruction"),
    (0x08A, 0x08A, "monitor", "MONITOR or MONITORX instruction"),
    (0x08B, 0x08B, "mwait", "MWAIT or MWAITX instruction"),
    (0x08C, 0x08C, "mwait_conditional", "MWAIT or MWAITX instruction, if monitor hardware is armed"),
    (0x08D, 0x08D, "xsetbv", "XSETBV instruction"),
    (0x08E, 0x08E, "rdpru", "RDPRU instruction"),
    (0x08F, 0x08F, "efer_write_trap", "Write of EFER MSR (occurs after guest instruction finishes)"),
    (0x090, 0x09F, "cr_write_trap", "Write of CR0-15, respectively (occurs after guest instruction finishes)"),
    (0x0A0, 0x0A0, "invlpgb", "INVLPGB instruction"),
    (0x0A1, 0x0A1, "invlpgb_illegal", "INVLPGB instruction with illegal operands"),
    (0x0A2, 0x0A2, "invpcid", "INVPCID instruction"),
    (0x0A3, 0x0A3, "mcommit", "MCOMMIT instruction"),
    (0x0A4, 0x0A4, "tlbsync", "TLBSYNC instruction"),
    (0x400, 0x400, "npf", "Nested paging: host-level page fault occurred"),
    (0x401, 0x401, "avic_incomplete_ipi", "AVIC: virtual IPI delivery not completed"),
    (0x402, 0x402, "avic_noaccel", "AVIC: attempted access by guest to vAPIC register not handled by AVIC hardware"),
    (0x403, 0x403, "vmgexit", "VMGEXIT instruction"),
]

# EXITCODE -1: "Invalid guest state in VMCB" (VMRUN's consistency checks failed);
# -2: "BUSY bit was set in the encrypted VMSA". Stored in the 64-bit field; the
# statistics count both in the last slot.
INVALID_NAME = "invalid"
INVALID_TEXT = "Invalid guest state in VMCB"
