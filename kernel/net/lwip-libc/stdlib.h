/* <stdlib.h> for lwIP's sources only: netif.c's netif_find calls atoi. */
#ifndef MOTE_LWIP_STDLIB_H
#define MOTE_LWIP_STDLIB_H
static inline int atoi(const char *s)
{
    int v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (*s++ - '0');
    return v;
}
#endif
