/* Reading Firecracker's JSON objects (cJSON) field by field. Every reader names the field on
 * error as "<where>.<key>: <why>", where is the section ("machine-config", "drives[0]"). */
#ifndef VMM_JSON_H
#define VMM_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct jctx {
    char *err;
    size_t errlen;
    const char *where;
};

/* Writes "fmt..." to err and returns -EINVAL. */
int json_errf(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* "<where>.<key>: <why>", -EINVAL. */
int json_fail(const struct jctx *j, const char *key, const char *why);

/* o must be an object whose keys are all in the NULL-terminated list (Firecracker denies
 * unknown fields). */
int json_want_object(const struct jctx *j, const cJSON *o, const char *const *known);

/* Absent or null: 0 and *out unchanged (or -EINVAL "required" when required). */
int json_get_str(const struct jctx *j, const cJSON *o, const char *key, bool required,
                 char **out);
int json_get_bool(const struct jctx *j, const cJSON *o, const char *key, bool required,
                  bool *out);
/* An integer in [lo, hi]; range_msg is the whole complaint ("must be an integer 1-32"). */
int json_get_uint(const struct jctx *j, const cJSON *o, const char *key, bool required,
                  uint64_t lo, uint64_t hi, const char *range_msg, uint64_t *out);
/* A string among the NULL-terminated choices; *out replaced only on success. */
int json_get_enum(const struct jctx *j, const cJSON *o, const char *key,
                  const char *const *choices, const char *msg, char **out);

/* Firecracker's RateLimiter: {bandwidth, ops} token buckets {size, refill_time,
 * one_time_burst}. Absent or null is fine. */
int json_check_rate_limiter(const struct jctx *j, const cJSON *o, const char *key);

/* True when key is present and not null. */
bool json_has(const cJSON *o, const char *key);

#endif
