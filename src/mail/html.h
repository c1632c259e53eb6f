/*
 * html - HTML mail bodies turned into readable plain text.
 *
 * Not a browser: a single linear pass that drops tags, comments and the
 * contents of script, style, title and head; turns <br> and block
 * elements (p, div, tr, li, h1-h6, ...) into line breaks; collapses
 * whitespace outside <pre>; prefixes blockquote contents with "> " so
 * quoted history can be told apart from new text; and decodes character
 * references (named, &#NNN; and &#xHHH;, windows-1252 for 128-159, as
 * browsers do).
 *
 * The input should be UTF-8; bytes are copied through as they are, so the
 * caller validates the result.  The result is allocated with xmalloc,
 * NUL-terminated, with LF line ends; the caller frees it.
 */
#ifndef REDRESS_HTML_H
#define REDRESS_HTML_H

#include <stddef.h>

char *html_to_text(const char *html, size_t len, size_t *out_len);

#endif
