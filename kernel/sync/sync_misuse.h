/* Deliberate misuse of Mutex and Condition, selected with crash=NAME on the kernel
 * command line, so that tests can prove each misuse is caught (with a panic). */
#pragma once

/* Provokes the misuse named `what` (mutex_recursive, mutex_foreign_unlock,
 * mutex_interrupts_off, mutex_deadlock, condition_without_mutex). Returns false
 * when `what` names none of them; otherwise it does not return. */
bool provoke_sync_misuse(const char* what);
