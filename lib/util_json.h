/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef TIERVM_UTIL_JSON_H
#define TIERVM_UTIL_JSON_H

#include <json-c/json.h>

/*
 * Lookups in JSON read from QEMU, the guest or our own files, where any
 * member may be missing: a missing member or a missing parent (NULL) gives
 * the default, so chains like jint(jget(o, "data"), "size", -1) are safe.
 */

/* @o's member @key, or NULL. */
json_object *jget(json_object *o, const char *key);
/* @o's member @key as an integer; @dflt when missing or null. */
long long jint(json_object *o, const char *key, long long dflt);
/* @o's member @key as a string; @dflt when missing or null. */
const char *jstr(json_object *o, const char *key, const char *dflt);

/* The length of @a when it is an array; 0 for anything else or NULL. */
size_t jlen(json_object *a);
/* @a's element @i when @a is an array that long, else NULL. */
json_object *jidx(json_object *a, size_t i);

/* The first element of @array (may be NULL) whose @key is @value, or NULL. */
json_object *jfind_str(json_object *array, const char *key, const char *value);

/* The element of @array (may be NULL) whose "id" is @id, or NULL. */
json_object *jfind_id(json_object *array, long long id);

#endif
