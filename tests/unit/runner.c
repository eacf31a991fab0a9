/* Test runner: runs every registered test (or those named on the command
 * line), then checks that the library never touched the heap. */
#define _DEFAULT_SOURCE
#include "test.h"
#include <stdarg.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>

#define MAX_TESTS 1024

struct test_case {
    const char *name;
    const char *file;
    test_fn fn;
};

static struct test_case tests[MAX_TESTS];
static int n_tests;
static int current_failed;
static const char *current_name;
static char tmpdir[256];
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

/* Set by heap_guard.c: calls into the heap from library objects. */
extern unsigned long floe_test_heap_calls(void);
extern void floe_test_heap_reset(void);

/* Positive control: a heap call from this binary must reach the wrap, or
 * the no-heap check below could pass for want of the link option. */
static int heap_wrap_in_effect(void)
{
    void *volatile p = malloc(16);
    unsigned long seen;
    free(p);
    seen = floe_test_heap_calls();
    floe_test_heap_reset();
    return seen == 2;
}

void test_register(const char *name, const char *file, test_fn fn)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "too many tests\n");
        exit(2);
    }
    tests[n_tests].name = name;
    tests[n_tests].file = file;
    tests[n_tests].fn = fn;
    n_tests++;
}

void test_fail(const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    if (current_failed < 10) {
        fprintf(stderr, "FAIL %s (%s:%d): ", current_name, file, line);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
        fputc('\n', stderr);
    }
    current_failed++;
}

const char *test_tmpdir(void)
{
    return tmpdir;
}

void test_seed(uint64_t seed)
{
    rng_state = seed ? seed : 1;
}

uint64_t test_rand(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static int selected(const char *name, int argc, char **argv)
{
    int i;
    if (argc <= 1)
        return 1;
    for (i = 1; i < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return 1;
    return 0;
}

static int cmp_case(const void *a, const void *b)
{
    const struct test_case *x = a, *y = b;
    int c = strcmp(x->file, y->file);
    return c != 0 ? c : strcmp(x->name, y->name);
}

int main(int argc, char **argv)
{
    int i, passed = 0, failed = 0;
    unsigned long heap;
    const char *base = getenv("TMPDIR");
    char cmd[300];

    snprintf(tmpdir, sizeof tmpdir, "%s/floe-unit-XXXXXX", base ? base : "/tmp");
    if (mkdtemp(tmpdir) == NULL) {
        perror("mkdtemp");
        return 2;
    }
    if (!heap_wrap_in_effect()) {
        fprintf(stderr, "FAIL heap_wrap: malloc/free are not wrapped (link with -Wl,--wrap=malloc,...)\n");
        return 1;
    }
    qsort(tests, (size_t)n_tests, sizeof tests[0], cmp_case);
    for (i = 0; i < n_tests; i++) {
        if (!selected(tests[i].name, argc, argv))
            continue;
        current_name = tests[i].name;
        current_failed = 0;
        test_seed(0x9e3779b97f4a7c15ull + (uint64_t)i);
        tests[i].fn();
        if (current_failed) {
            failed++;
            fprintf(stderr, "not ok %s\n", tests[i].name);
        } else {
            passed++;
            if (getenv("TEST_VERBOSE"))
                fprintf(stderr, "ok %s\n", tests[i].name);
        }
    }
    heap = floe_test_heap_calls();
    if (heap != 0) {
        fprintf(stderr, "FAIL no_heap: the library called malloc/calloc/realloc/free %lu times\n", heap);
        failed++;
    } else {
        passed++; /* the no-heap invariant held over every test above */
    }
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "warning: could not remove %s\n", tmpdir);
    printf("%d passed, %d failed\n", passed, failed);
    return failed ? 1 : 0;
}
