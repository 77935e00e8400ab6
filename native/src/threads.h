/* A one-worker thread pool for the packed GEMM (see threads.c). */
#ifndef RECUR_THREADS_H
#define RECUR_THREADS_H
#include <stddef.h>
#include <stdint.h>

/* Runs items [i0, i1) of a job. */
typedef void (*rt_job)(void *arg, size_t i0, size_t i1);

/*
 * Runs items [0, n) of a job on the calling thread and the worker: the caller takes [0, split),
 * the worker [split, n) one item at a time from its front; a caller done with its own items
 * takes back, from the end, those the worker has not started. Returns when every item has run.
 * Everything runs on the caller when the worker cannot start, when another thread is using it,
 * or when the split is empty. The worker starts at the first call.
 */
void rt_run2(rt_job job, void *arg, size_t n, size_t split);

typedef struct {
  double splits;        /* jobs offered to the worker */
  double worker_items;  /* items the worker ran */
  int started;          /* 1 running, 0 not started yet, -1 could not start */
} RtStats;
RtStats rt_stats(void);

#endif
