/* Size-class free lists behind the addon's `alloc` (see pool.c). */
#ifndef RECUR_POOL_H
#define RECUR_POOL_H
#include <stddef.h>

typedef struct {
  size_t pooled; /* bytes held in the free lists */
  size_t cap;    /* the most they may hold */
  double hits;   /* allocations served from a list */
  double misses; /* allocations that went to malloc */
} PoolStats;

/* A 64-byte-aligned block of at least `bytes`, its first `bytes` zeroed when `zero` is set (else
 * what a reused block held); NULL when out of memory. *block gets the block's size, *cls what
 * pool_put needs back. */
void *pool_get(size_t bytes, int zero, size_t *block, int *cls);
/* Returns a block from pool_get: kept for reuse, or freed when the lists are full. */
void pool_put(void *p, int cls);
/* Frees every pooled block. */
void pool_trim(void);
/* Sets the most the lists may hold (trims them when they hold more). */
void pool_set_cap(size_t bytes);
PoolStats pool_stats(void);

#endif
