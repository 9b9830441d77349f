/*
 * json - a small JSON writer for the CLI's --json output.
 *
 * Strings are written with every character JSON requires escaped (quotes,
 * backslash, control bytes) and invalid UTF-8 replaced, so any value taken
 * from mail is safe to print.  Commas are the caller's: json_sep().
 */
#ifndef SENDWATCH_CLI_JSON_H
#define SENDWATCH_CLI_JSON_H

#include <stdbool.h>
#include <stdio.h>

/* Writes S as a JSON string (NULL as null). */
void json_string(FILE *out, const char *s);

/* Writes "KEY": (a key of an object). */
void json_key(FILE *out, const char *key);

/* Writes a comma unless *FIRST, which it then clears. */
void json_sep(FILE *out, bool *first);

#endif
