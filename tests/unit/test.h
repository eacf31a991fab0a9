/* floe's unit-test harness: TEST() bodies register themselves, CHECK macros
 * record failures and carry on, and the runner ends with the line
 * "N passed, N failed". Run one test by name: ./unit NAME [NAME...]. */
#ifndef FLOE_TEST_H
#define FLOE_TEST_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef void (*test_fn)(void);
void test_register(const char *name, const char *file, test_fn fn);
void test_fail(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Scratch directory for this test run (created by the runner, removed after). */
const char *test_tmpdir(void);
/* Deterministic pseudo-random numbers for property tests (xorshift64*). */
uint64_t test_rand(void);
void test_seed(uint64_t seed);

#define TEST(name)                                                              \
    static void test_##name(void);                                              \
    __attribute__((constructor)) static void test_register_##name(void)         \
    {                                                                           \
        test_register(#name, __FILE__, test_##name);                            \
    }                                                                           \
    static void test_##name(void)

#define CHECK(cond)                                                             \
    do {                                                                        \
        if (!(cond))                                                            \
            test_fail(__FILE__, __LINE__, "CHECK(%s)", #cond);                   \
    } while (0)

/* Stops the current test when cond fails (use before dereferencing). */
#define REQUIRE(cond)                                                           \
    do {                                                                        \
        if (!(cond)) {                                                          \
            test_fail(__FILE__, __LINE__, "REQUIRE(%s)", #cond);                 \
            return;                                                             \
        }                                                                       \
    } while (0)

#define CHECK_EQ_INT(a, b)                                                      \
    do {                                                                        \
        long long check_a_ = (long long)(a), check_b_ = (long long)(b);         \
        if (check_a_ != check_b_)                                               \
            test_fail(__FILE__, __LINE__, "%s == %s: %lld != %lld", #a, #b,     \
                      check_a_, check_b_);                                      \
    } while (0)

#define CHECK_EQ_U64(a, b)                                                      \
    do {                                                                        \
        unsigned long long check_a_ = (unsigned long long)(a);                  \
        unsigned long long check_b_ = (unsigned long long)(b);                  \
        if (check_a_ != check_b_)                                               \
            test_fail(__FILE__, __LINE__, "%s == %s: %llu (0x%llx) != %llu (0x%llx)", \
                      #a, #b, check_a_, check_a_, check_b_, check_b_);          \
    } while (0)

#define CHECK_EQ_STR(a, b)                                                      \
    do {                                                                        \
        const char *check_a_ = (a), *check_b_ = (b);                            \
        if (check_a_ == NULL || check_b_ == NULL || strcmp(check_a_, check_b_) != 0) \
            test_fail(__FILE__, __LINE__, "%s == %s: \"%s\" != \"%s\"", #a, #b,  \
                      check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
    } while (0)

#define CHECK_EQ_MEM(a, b, n)                                                   \
    do {                                                                        \
        if (memcmp((a), (b), (n)) != 0)                                         \
            test_fail(__FILE__, __LINE__, "memory %s == %s (%zu bytes)", #a, #b, \
                      (size_t)(n));                                             \
    } while (0)

#endif
