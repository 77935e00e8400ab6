/**
 * Interpolated Kneser–Ney trigram model (Chen & Goodman 1998, fixed discount D): the
 * "smoothed trigram" baseline that a recurrent language model must beat. Counts live in
 * Maps keyed by packed ids, so a million-token corpus trains in about a second.
 */
export class KneserNeyTrigram {
  private readonly V: number;
  private readonly D: number;
  // Highest order: c(u v w), c(u v ·), and N1+(u v ·).
  private readonly tri = new Map<string, number>();
  private readonly biCtx = new Map<string, number>();
  private readonly biCtxTypes = new Map<string, number>();
  // Middle order uses continuation counts: N1+(· v w), N1+(· v ·), N1+(v ·) for v's types.
  private readonly contBi = new Map<string, number>();
  private readonly contBiCtx = new Map<number, number>();
  private readonly contBiCtxTypes = new Map<number, number>();
  // Lowest order: N1+(· w) / N1+(· ·).
  private readonly contUni = new Map<number, number>();
  private contUniTotal = 0;

  constructor(ids: ArrayLike<number>, vocabSize: number, discount = 0.75) {
    this.V = vocabSize;
    this.D = discount;
    const seenBi = new Set<string>();
    for (let i = 2; i < ids.length; i++) {
      const u = ids[i - 2]!, v = ids[i - 1]!, w = ids[i]!;
      const k3 = `${u},${v},${w}`, k2 = `${u},${v}`;
      const c = this.tri.get(k3) ?? 0;
      if (c === 0) {
        this.biCtxTypes.set(k2, (this.biCtxTypes.get(k2) ?? 0) + 1);
        // First time u v w is seen: (v, w) gains a distinct left context u.
        const kvw = `${v},${w}`;
        const cb = this.contBi.get(kvw) ?? 0;
        this.contBi.set(kvw, cb + 1);
        this.contBiCtx.set(v, (this.contBiCtx.get(v) ?? 0) + 1);
        if (cb === 0) this.contBiCtxTypes.set(v, (this.contBiCtxTypes.get(v) ?? 0) + 1);
      }
      this.tri.set(k3, c + 1);
      this.biCtx.set(k2, (this.biCtx.get(k2) ?? 0) + 1);
    }
    // Every bigram of the text, the first one included, counts for the lowest order.
    for (let i = 1; i < ids.length; i++) {
      const v = ids[i - 1]!, w = ids[i]!, kb = `${v},${w}`;
      if (!seenBi.has(kb)) {
        seenBi.add(kb);
        this.contUni.set(w, (this.contUni.get(w) ?? 0) + 1);
        this.contUniTotal++;
      }
    }
  }

  /** P(w | u, v), never zero: the unigram level interpolates with a uniform distribution. */
  prob(u: number, v: number, w: number): number {
    const D = this.D;
    const pUni = (Math.max((this.contUni.get(w) ?? 0) - D, 0) + D * this.contUni.size / this.V) / Math.max(this.contUniTotal, 1);
    const uniform = this.contUniTotal === 0 ? 1 / this.V : pUni;
    const cBiCtx = this.contBiCtx.get(v) ?? 0;
    const pBi = cBiCtx === 0 ? uniform
      : (Math.max((this.contBi.get(`${v},${w}`) ?? 0) - D, 0) + D * (this.contBiCtxTypes.get(v) ?? 0) * uniform) / cBiCtx;
    const k2 = `${u},${v}`;
    const cCtx = this.biCtx.get(k2) ?? 0;
    if (cCtx === 0) return pBi;
    return (Math.max((this.tri.get(`${u},${v},${w}`) ?? 0) - D, 0) + D * (this.biCtxTypes.get(k2) ?? 0) * pBi) / cCtx;
  }

  /** Mean negative log-likelihood (nats per token) of ids[2:] given their two predecessors. */
  crossEntropy(ids: ArrayLike<number>): number {
    let s = 0;
    for (let i = 2; i < ids.length; i++) s -= Math.log(this.prob(ids[i - 2]!, ids[i - 1]!, ids[i]!));
    return s / Math.max(ids.length - 2, 1);
  }
}
