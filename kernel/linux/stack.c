/* The program's initial stack; see stack.h. */
#include "linux/stack.h"

#include <errno.h>

#include "abi/elf64.h"

/* The kernel's (one rep instruction) or the C library's. */
void *memcpy(void *dst, const void *src, size_t n);
size_t strlen(const char *s);

long stack_build(uint8_t *buf, size_t size, uint64_t top, const struct stack_spec *s,
                 uint64_t *sp)
{
    uint64_t pos = size; /* offset in buf of the lowest byte written so far */

#define PUSH_BYTES(src, n)                                                                         \
    do {                                                                                           \
        size_t n_ = (n); /* a strlen, evaluated once */                                           \
        if (n_ > pos)                                                                              \
            return -E2BIG;                                                                         \
        pos -= n_;                                                                                 \
        memcpy(buf + pos, (src), n_);                                                              \
    } while (0)
#define USER_ADDR(off) (top - size + (off))

    static const uint8_t zeros[8];
    PUSH_BYTES(zeros, 8);
    PUSH_BYTES(s->execfn, strlen(s->execfn) + 1);
    uint64_t execfn_at = USER_ADDR(pos);

    /* Strings: environment last-to-first, then arguments, so argv[0] sits lowest. */
    uint64_t env_at[s->envc > 0 ? s->envc : 1], arg_at[s->argc > 0 ? s->argc : 1];
    for (int i = s->envc - 1; i >= 0; i--) {
        PUSH_BYTES(s->envp[i], strlen(s->envp[i]) + 1);
        env_at[i] = USER_ADDR(pos);
    }
    for (int i = s->argc - 1; i >= 0; i--) {
        PUSH_BYTES(s->argv[i], strlen(s->argv[i]) + 1);
        arg_at[i] = USER_ADDR(pos);
    }
    static const char platform[] = "x86_64";
    PUSH_BYTES(platform, sizeof(platform));
    uint64_t platform_at = USER_ADDR(pos);
    pos &= ~15ull;
    PUSH_BYTES(s->random, 16);
    uint64_t random_at = USER_ADDR(pos);

    /* Pointer area: argc, argv + NULL, envp + NULL, auxv (ours + 3 + AT_NULL). */
    uint64_t words = 1 + (s->argc + 1) + (s->envc + 1) + 2 * (s->nauxv + 4);
    if (words * 8 + 16 > pos)
        return -E2BIG;
    pos -= words * 8;
    pos &= ~15ull;
    uint64_t *w = (uint64_t *)(buf + pos);
    *w++ = s->argc;
    for (int i = 0; i < s->argc; i++)
        *w++ = arg_at[i];
    *w++ = 0;
    for (int i = 0; i < s->envc; i++)
        *w++ = env_at[i];
    *w++ = 0;
    memcpy(w, s->auxv, 16 * (size_t)s->nauxv); /* the caller's pairs as they are: one rep movsb */
    w += 2 * s->nauxv;
    *w++ = AT_RANDOM;
    *w++ = random_at;
    *w++ = AT_EXECFN;
    *w++ = execfn_at;
    *w++ = AT_PLATFORM;
    *w++ = platform_at;
    *w++ = AT_NULL;
    *w++ = 0;
    *sp = USER_ADDR(pos);
    return size - pos;
#undef PUSH_BYTES
#undef USER_ADDR
}
