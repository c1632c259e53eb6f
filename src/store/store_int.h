/*
 * store_int - what the backends of the store share (store.c); not for
 * modules outside the store.
 */
#ifndef REDRESS_STORE_STORE_INT_H
#define REDRESS_STORE_STORE_INT_H

#include <stdbool.h>

/*
 * Whether holder ("PID@HOST") is a process of owner's host that no longer
 * runs (gone, or a zombie): its lock or claim may be taken over at once.
 * Another host's is never judged.
 */
bool store_owner_gone(const char *holder, const char *owner);
/* Whether a system error of opening or creating the store may pass (a
 * missing directory or a permission is for the admin to fix). */
bool store_errno_temporary(int e);

#endif
