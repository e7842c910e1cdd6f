/* Kernel command line parsing; see cmdline.h. */
#include "core/cmdline.h"

#include "mote/string.h"

/* Bare words Linux loaders (Firecracker's default boot_args among them) pass; they mean nothing
 * to Mote and are skipped without a warning. */
static const char *const linux_words[] = {
    "nomodule", "quiet", "ro", "rw", "noapic", "nolapic", "debug", "nosmp", "splash", "single",
    "earlyprintk", "norandmaps", "nokaslr",
};

/* Next whitespace-separated token; double quotes group words and are removed. */
static char *next_token(char **pos)
{
    char *s = *pos;
    while (*s == ' ' || *s == '\t' || *s == '\n')
        s++;
    if (!*s) {
        *pos = s;
        return NULL;
    }
    char *tok = s, *out = s;
    bool quoted = false;
    for (; *s; s++) {
        if (*s == '"') {
            quoted = !quoted;
            continue;
        }
        if (!quoted && (*s == ' ' || *s == '\t' || *s == '\n'))
            break;
        *out++ = *s;
    }
    if (*s)
        s++;
    *out = '\0';
    *pos = s;
    return tok;
}

static void add_unknown(struct cmdline *cl, const char *tok)
{
    if (cl->nunknown < CMDLINE_MAX_UNKNOWN)
        cl->unknown[cl->nunknown++] = tok;
}

static bool is_linux_word(const char *tok)
{
    for (size_t i = 0; i < sizeof(linux_words) / sizeof(linux_words[0]); i++)
        if (strcmp(tok, linux_words[i]) == 0)
            return true;
    return false;
}

static void parse_option(struct cmdline *cl, const char *tok)
{
    if (strcmp(tok, "--bootchart") == 0)
        cl->bootchart = true;
    else if (strcmp(tok, "--strace") == 0)
        cl->strace = true;
    else if (strcmp(tok, "--nopci") == 0)
        cl->nopci = true;
    else if (strcmp(tok, "--noacpi") == 0)
        cl->noacpi = true;
    else if (strcmp(tok, "--verbose") == 0)
        cl->loglevel = 7;
    else if (str_starts(tok, "--test=") && tok[7])
        cl->test = tok + 7;
    else if (str_starts(tok, "--test-arg=")) {
        if (cl->ntest_args < CMDLINE_MAX_TEST_ARGS)
            cl->test_args[cl->ntest_args++] = tok + 11;
        else
            cl->truncated = true;
    } else if (str_starts(tok, "--rootfs=") && tok[9]) {
        cl->rootfs = tok + 9;
    } else if (str_starts(tok, "--mount=") && tok[8]) {
        if (cl->nmounts < CMDLINE_MAX_MOUNTS)
            cl->mounts[cl->nmounts++] = tok + 8;
        else
            cl->truncated = true;
    } else if (str_starts(tok, "--ip=") || str_starts(tok, "--defaultgw=") ||
               str_starts(tok, "--nameserver=")) {
        if (cl->nnet < CMDLINE_MAX_NET)
            cl->net[cl->nnet++] = tok;
        else
            cl->truncated = true;
    } else if (str_starts(tok, "--env=") && strchr(tok + 6, '=')) {
        if (cl->nenv < CMDLINE_MAX_ENV)
            cl->env[cl->nenv++] = tok + 6;
        else
            cl->truncated = true;
    } else
        add_unknown(cl, tok);
}

static void parse_param(struct cmdline *cl, const char *tok)
{
    if (str_starts(tok, "loglevel=")) {
        uint64_t v;
        if (parse_u64(tok + 9, &v) == 0 && v <= 7)
            cl->loglevel = (int)v;
        else
            add_unknown(cl, tok);
        return;
    }
    if (strcmp(tok, "pci=off") == 0)
        cl->nopci = true;
    if (strcmp(tok, "acpi=off") == 0)
        cl->noacpi = true;
    if (cl->nparams < CMDLINE_MAX_PARAMS)
        cl->params[cl->nparams++] = tok;
    else
        cl->truncated = true;
}

static void add_arg(struct cmdline *cl, const char *tok)
{
    if (cl->argc < CMDLINE_MAX_ARGS)
        cl->argv[cl->argc++] = tok;
    else
        cl->truncated = true;
}

/* Tokens a monitor appends after whatever the user wrote (Firecracker: the devices it created,
 * and root= for a root drive): kernel parameters wherever they stand, never program arguments. */
static bool monitor_appended(const char *tok)
{
    return str_starts(tok, "virtio_mmio.device=") || str_starts(tok, "root=");
}

void cmdline_parse(struct cmdline *cl, char *buf)
{
    memset(cl, 0, sizeof(*cl));
    cl->loglevel = -1;
    char *pos = buf, *tok;
    bool program = false, after_root = false;

    while ((tok = next_token(&pos))) {
        bool was_root = after_root;
        after_root = false;
        if (program && monitor_appended(tok)) {
            parse_param(cl, tok);
            after_root = str_starts(tok, "root=");
        } else if (program && was_root && (!strcmp(tok, "ro") || !strcmp(tok, "rw"))) {
            /* Firecracker's "root=/dev/vda ro|rw" pair. */
        } else if (program) {
            add_arg(cl, tok);
        } else if (strcmp(tok, "--") == 0) {
            program = true;
        } else if (tok[0] == '-' && tok[1] == '-') {
            parse_option(cl, tok);
        } else if (tok[0] == '/') {
            program = true;
            add_arg(cl, tok);
        } else if (str_starts(tok, "init=") && tok[5]) {
            /* Linux's init=: the program; later tokens stay options (Linux passes them on). */
            if (cl->argc == 0)
                add_arg(cl, tok + 5);
        } else if (strchr(tok, '=') || strchr(tok, '.')) {
            /* key=value, or a Linux module flag such as i8042.noaux (value ""). */
            parse_param(cl, tok);
        } else if (!is_linux_word(tok)) {
            add_unknown(cl, tok);
        }
    }
    cl->argv[cl->argc] = NULL;
}

const char *cmdline_param(const struct cmdline *cl, const char *key)
{
    size_t n = strlen(key);
    const char *v = NULL;
    for (int i = 0; i < cl->nparams; i++) {
        const char *p = cl->params[i];
        if (strncmp(p, key, n) == 0 && (p[n] == '=' || p[n] == '\0'))
            v = p[n] ? p + n + 1 : p + n;
    }
    return v;
}

int cmdline_consume(struct cmdline *cl, const char *key)
{
    size_t n = strlen(key);
    int kept = 0, removed = 0;
    for (int i = 0; i < cl->nparams; i++) {
        const char *p = cl->params[i];
        if (strncmp(p, key, n) == 0 && (p[n] == '=' || p[n] == '\0'))
            removed++;
        else
            cl->params[kept++] = cl->params[i];
    }
    cl->nparams = kept;
    return removed;
}
