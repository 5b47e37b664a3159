/* Entry stubs for the 32 exception vectors of a test guest: each pushes a dummy
 * error code where the CPU pushes none, then its vector, saves the general
 * registers and calls guest_exception(frame). Returning resumes at frame.eip.
 * Follows the Intel SDM (revision 084), Vol. 3A, "Exception and Interrupt
 * Handling in 32-bit Mode" (stack usage with no privilege-level change) and
 * "Exception and Interrupt Reference" (which exceptions push an error code). */

.macro stub vector, has_error_code
exception_stub_\vector:
    .if \has_error_code == 0
    push $0
    .endif
    push $\vector
    jmp exception_common
.endm

.text
.code32
    stub 0, 0
    stub 1, 0
    stub 2, 0
    stub 3, 0
    stub 4, 0
    stub 5, 0
    stub 6, 0
    stub 7, 0
    stub 8, 1
    stub 9, 0
    stub 10, 1
    stub 11, 1
    stub 12, 1
    stub 13, 1
    stub 14, 1
    stub 15, 0
    stub 16, 0
    stub 17, 1
    stub 18, 0
    stub 19, 0
    stub 20, 0
    stub 21, 1
    stub 22, 0
    stub 23, 0
    stub 24, 0
    stub 25, 0
    stub 26, 0
    stub 27, 0
    stub 28, 0
    stub 29, 1
    stub 30, 1
    stub 31, 0

/* The frame's layout is ExceptionFrame in exceptions.h. */
exception_common:
    pusha
    push %esp
    call guest_exception
    add $4, %esp
    popa
    add $8, %esp                /* vector and error code */
    iret

.section .rodata
.align 4
.global exception_stubs
exception_stubs:
    .irp vector, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long exception_stub_\vector
    .endr
