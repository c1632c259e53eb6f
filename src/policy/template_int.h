/*
 * template_int - what the two files of the template module share: the
 * compiled templates (template.c makes them, template_render.c renders
 * them).  Not for other modules.
 */
#ifndef REDRESS_POLICY_TEMPLATE_INT_H
#define REDRESS_POLICY_TEMPLATE_INT_H

#include <stddef.h>

#include "policy/template.h"

enum template_node_type {
	TEMPLATE_NODE_TEXT,
	TEMPLATE_NODE_VAR,
	TEMPLATE_NODE_IF,
	TEMPLATE_NODE_UNLESS,
};

struct template_node {
	enum template_node_type type;
	char *text;                     /* TEXT: owned */
	size_t len;
	int var;                        /* VAR, IF, UNLESS: placeholder index */
	struct template_node *then;     /* IF, UNLESS: owned */
	struct template_node *otherwise; /* IF, UNLESS: owned */
	struct template_node *next;     /* owned */
};

struct template {
	char *name;                     /* base name, "ack-billing"; owned */
	struct template_node *subject;  /* owned */
	struct template_node *body;     /* owned */
};

struct template_set {
	char *dir;                      /* owned */
	struct template *t;             /* owned, sorted by name */
	size_t n;
};

struct template_var {
	char *name;                     /* owned */
	char *value;                    /* owned, cleaned */
};

struct template_vars {
	struct template_var *v;         /* owned */
	size_t n, cap;
};

/* How many placeholders template_placeholders names (template.c checks
 * it at load). */
#define TEMPLATE_PLACEHOLDERS 23

/* The index of a placeholder in template_placeholders, or -1. */
int template_placeholder_index(const char *name, size_t len);
/* The template of a set with this base name, or NULL. */
const struct template *template_find(const struct template_set *set, const char *name);

#endif
