import type { CallCounts, KernelName } from './types.js';

/** Per-kernel counts of calls a compiled backend served and refused (see CallCounts in types.ts). */
export class CallCounter {
  private readonly cells = new Map<KernelName, { served: number; refused: number }>();

  /** The counts of one kernel, to increment in place (one lookup when the backend is built, none per call). */
  cell(name: KernelName): { served: number; refused: number } {
    let c = this.cells.get(name);
    if (!c) this.cells.set(name, (c = { served: 0, refused: 0 }));
    return c;
  }

  snapshot(): CallCounts {
    const out: CallCounts = {};
    for (const [name, c] of this.cells) out[name] = { served: c.served, refused: c.refused };
    return out;
  }
}
