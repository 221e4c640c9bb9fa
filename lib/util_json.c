// SPDX-License-Identifier: LGPL-2.1-or-later
#include <string.h>

#include "util_json.h"

json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	return o && json_object_object_get_ex(o, key, &v) ? v : NULL;
}

long long jint(json_object *o, const char *key, long long dflt)
{
	json_object *v = jget(o, key);

	return v && !json_object_is_type(v, json_type_null)
		       ? (long long)json_object_get_int64(v)
		       : dflt;
}

const char *jstr(json_object *o, const char *key, const char *dflt)
{
	json_object *v = jget(o, key);

	return v && !json_object_is_type(v, json_type_null)
		       ? json_object_get_string(v)
		       : dflt;
}

json_object *jfind_str(json_object *array, const char *key, const char *value)
{
	for (size_t i = 0; value && i < jlen(array); i++) {
		json_object *e = jidx(array, i);

		if (!strcmp(jstr(e, key, ""), value))
			return e;
	}
	return NULL;
}

json_object *jfind_id(json_object *array, long long id)
{
	for (size_t i = 0; i < jlen(array); i++) {
		json_object *e = jidx(array, i);

		if (jint(e, "id", -1) == id)
			return e;
	}
	return NULL;
}

size_t jlen(json_object *a)
{
	return json_object_is_type(a, json_type_array)
		       ? json_object_array_length(a)
		       : 0;
}

json_object *jidx(json_object *a, size_t i)
{
	return i < jlen(a) ? json_object_array_get_idx(a, i) : NULL;
}
