import type { Page } from 'playwright-core';

export interface EventLoopDelay {
  /** Worst lateness of a 10-ms timer, ms. */
  worst: number;
  /** 95th percentile and median of its lateness, ms. */
  p95: number;
  median: number;
}

/** A page's event-loop delay over `ms` milliseconds, measured by a 10-ms timer's lateness. */
export function eventLoopDelay(page: Page, ms: number): Promise<EventLoopDelay> {
  return page.evaluate((duration) => new Promise<EventLoopDelay>((ok) => {
    const late: number[] = [];
    let last = performance.now();
    const id = setInterval(() => {
      const now = performance.now();
      late.push(Math.max(0, now - last - 10));
      last = now;
    }, 10);
    setTimeout(() => {
      clearInterval(id);
      late.sort((a, b) => a - b);
      // No named functions in here: tsx would wrap them in a helper the page does not have.
      const n = late.length;
      ok({ worst: late[n - 1] ?? 0, p95: late[Math.floor(0.95 * (n - 1))] ?? 0, median: late[Math.floor(0.5 * (n - 1))] ?? 0 });
    }, duration);
  }), ms);
}
