/*
 * names - looking words up in the name table of an enum (the files of model/).
 *
 * Every enum of model/ has one table of names, indexed by its values;
 * these two functions are how the table is read both ways.
 */
#ifndef REDRESS_MODEL_NAMES_H
#define REDRESS_MODEL_NAMES_H

#include <stddef.h>

/* names[i], or NULL when i is not in 0..n-1. */
const char *names_at(const char *const *names, int n, int i);
/* The index of word in names[0..n-1], or -1. */
int names_find(const char *const *names, int n, const char *word);
/*
 * Append name to the list "a, b, c" in buf (size bytes, a string): how
 * the *_list() functions build what help and error messages show.  A name
 * that does not fit is cut short.
 */
void names_append(char *buf, size_t size, const char *name);

#endif
