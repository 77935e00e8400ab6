/* AVX2 + FMA build of the kernels (Haswell / Zen and later); addon.c uses it only when the CPU has both. */
#if defined(__x86_64__)
#pragma GCC target("avx2,fma")
#define RK_TABLE_NAME rk_table_avx2
#include "kernels.h"
#endif
