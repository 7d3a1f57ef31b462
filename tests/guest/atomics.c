/* SPDX-License-Identifier: MIT */
/* C11 atomics without threads: every fetch-op, exchange and compare-exchange
 * on 8/16/32/64-bit objects (RISC-V: AMOs, LR/SC loops, masked subword
 * sequences), plus fences. Results are deterministic single-threaded. */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#define TEST_TYPE(T, NAME, FMT)                                                        \
    static void test_##NAME(void)                                                      \
    {                                                                                  \
        static _Atomic T a;                                                            \
        T v = (T)0x5a5a5a5a5a5a5a5aull, old, exp;                                      \
        atomic_store(&a, v);                                                           \
        old = atomic_fetch_add(&a, (T)0x1234);                                         \
        printf(#NAME " add old=%" FMT " new=%" FMT "\n", old, atomic_load(&a));        \
        old = atomic_fetch_sub(&a, (T)0x7fff);                                         \
        printf(#NAME " sub old=%" FMT " new=%" FMT "\n", old, atomic_load(&a));        \
        old = atomic_fetch_and(&a, (T)0xf0f0f0f0f0f0f0f0ull);                          \
        printf(#NAME " and old=%" FMT " new=%" FMT "\n", old, atomic_load(&a));        \
        old = atomic_fetch_or(&a, (T)0x0303030303030303ull);                           \
        printf(#NAME " or  old=%" FMT " new=%" FMT "\n", old, atomic_load(&a));        \
        old = atomic_fetch_xor(&a, (T)0xffffffffffffffffull);                          \
        printf(#NAME " xor old=%" FMT " new=%" FMT "\n", old, atomic_load(&a));        \
        old = atomic_exchange(&a, (T)0x8000000000000001ull);                           \
        printf(#NAME " xchg old=%" FMT " new=%" FMT "\n", old, atomic_load(&a));       \
        exp = (T)1;                                                                    \
        int ok = atomic_compare_exchange_strong(&a, &exp, (T)2);                       \
        printf(#NAME " cas-fail ok=%d exp=%" FMT " val=%" FMT "\n", ok, exp, atomic_load(&a)); \
        ok = atomic_compare_exchange_strong(&a, &exp, (T)2);                           \
        printf(#NAME " cas-ok ok=%d exp=%" FMT " val=%" FMT "\n", ok, exp, atomic_load(&a)); \
        /* A weak CAS may fail spuriously: loop until it succeeds. */                  \
        exp = atomic_load(&a);                                                         \
        int spins = 0;                                                                 \
        while (!atomic_compare_exchange_weak(&a, &exp, (T)(exp * 3 + 1)))              \
            if (++spins > 1000) break;                                                 \
        printf(#NAME " casw spins<1000=%d val=%" FMT "\n", spins <= 1000, atomic_load(&a)); \
        for (int i = 0; i < 1000; i++) atomic_fetch_add_explicit(&a, (T)i, memory_order_relaxed); \
        printf(#NAME " sum val=%" FMT "\n", atomic_load_explicit(&a, memory_order_acquire)); \
    }

TEST_TYPE(uint8_t, u8, PRIu8)
TEST_TYPE(uint16_t, u16, PRIu16)
TEST_TYPE(uint32_t, u32, PRIx32)
TEST_TYPE(uint64_t, u64, PRIx64)
TEST_TYPE(int32_t, s32, PRId32)
TEST_TYPE(int64_t, s64, PRId64)

int main(void)
{
    test_u8();
    test_u16();
    test_u32();
    test_u64();
    test_s32();
    test_s64();

    atomic_flag f = ATOMIC_FLAG_INIT;
    int first = atomic_flag_test_and_set(&f);
    int second = atomic_flag_test_and_set(&f);
    printf("flag first=%d second=%d\n", first, second);
    atomic_flag_clear(&f);
    printf("flag after clear=%d\n", atomic_flag_test_and_set(&f));

    /* Fetch-ops the compiler may lower to AMO min/max via CAS loops. */
    static _Atomic int64_t m = 5;
    int64_t cur = atomic_load(&m);
    while (cur < 100 && !atomic_compare_exchange_weak(&m, &cur, 100)) {}
    printf("max=%" PRId64 "\n", atomic_load(&m));
    atomic_thread_fence(memory_order_seq_cst);
    atomic_signal_fence(memory_order_seq_cst);
    return 0;
}
