/* Echoes what the kernel handed the program: argv, envp, the auxiliary vector, and a few
 * identity calls (the test compares them with Linux's conventions). */
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/utsname.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv)
{
    for (int i = 0; i < argc; i++)
        printf("argv[%d]=%s\n", i, argv[i]);
    for (char **e = environ; *e; e++)
        printf("env %s\n", *e);
    static const struct {
        unsigned long type;
        const char *name;
    } aux[] = {{AT_PHDR, "AT_PHDR"},     {AT_PHENT, "AT_PHENT"},   {AT_PHNUM, "AT_PHNUM"},
               {AT_PAGESZ, "AT_PAGESZ"}, {AT_BASE, "AT_BASE"},     {AT_ENTRY, "AT_ENTRY"},
               {AT_UID, "AT_UID"},       {AT_EUID, "AT_EUID"},     {AT_GID, "AT_GID"},
               {AT_EGID, "AT_EGID"},     {AT_SECURE, "AT_SECURE"}, {AT_CLKTCK, "AT_CLKTCK"},
               {AT_HWCAP, "AT_HWCAP"},   {AT_RANDOM, "AT_RANDOM"}};
    for (unsigned i = 0; i < sizeof(aux) / sizeof(aux[0]); i++)
        printf("%s=%#lx\n", aux[i].name, getauxval(aux[i].type));
    printf("AT_EXECFN=%s\n", (const char *)getauxval(AT_EXECFN));
    printf("AT_PLATFORM=%s\n", (const char *)getauxval(AT_PLATFORM));
    struct utsname u;
    uname(&u);
    printf("uname=%s %s\n", u.sysname, u.machine);
    printf("pid=%d ppid=%d uid=%d\n", getpid(), getppid(), getuid());
    return 0;
}
