/* Baseline build of the kernels: whatever the compiler targets by default (SSE2 on x86-64). */
#define RK_TABLE_NAME rk_table_base
#include "kernels.h"
