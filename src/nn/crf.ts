import { add, indexSelect, maskedFill, pick, reshape, sub, sum } from '../autograd/ops/index.js';
import { RecurError } from '../errors.js';
import { allocStorage } from '../kernels/index.js';
import { shapeStr } from '../tensor/shape.js';
import { globalRng, type Rng } from '../tensor/rng.js';
import { Tensor, zeros } from '../tensor/tensor.js';
import { constraintViolation, type TransitionConstraints } from './crf-constraints.js';
import { Module } from './module.js';
import { crfLengths, crfLogPartition, crfViterbi, type ViterbiResult } from './ops/crf.js';

export interface CRFOptions {
  /**
   * Allowed transitions (see `allowedTransitions` for BIO/BIOES). Forbidden ones get −∞ added
   * to their learned score, so no probability mass and no decoded path ever uses them.
   */
  constraints?: TransitionConstraints | null;
  /** Tag names, used in error messages only. */
  tagNames?: readonly string[];
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
}

/**
 * Linear-chain conditional random field over K tags, as pytorch-crf's `CRF(num_tags,
 * batch_first=True)` (same parameter names and U(−0.1, 0.1) initialisation). For a sequence
 * x of length L with emission scores em (from the layers below) and a tag path y:
 *
 *     score(y)  = start[y_0] + Σ_{t<L} em[t, y_t] + Σ_{1≤t<L} trans[y_{t−1}, y_t] + end[y_{L−1}]
 *     log p(y|x) = score(y) − log Σ_{y'} exp(score(y'))            (forward algorithm)
 *     decode(x)  = argmax_y score(y)                                 (Viterbi)
 *
 * With constraints, forbidden entries of trans/start/end are −∞ in both sums.
 *
 * | tensor | shape |
 * |---|---|
 * | `emissions` | `[B, T, K]` (batch-first) |
 * | `tags` | `B·T` tag ids, batch-major (entries past a length are ignored) |
 * | `lengths` | `B` whole numbers in `[1, T]` (default all T) |
 * | `forward` output (log-likelihood) | `[B]` |
 * | `start_transitions`, `end_transitions` | `[K]` |
 * | `transitions` | `[K, K]`, `[i, j]` = tag i followed by tag j |
 */
export class CRF extends Module {
  readonly numTags: number;
  readonly startTransitions: Tensor;
  readonly endTransitions: Tensor;
  readonly transitions: Tensor;
  readonly constraints: TransitionConstraints | null;
  private readonly tagNames: readonly string[] | undefined;
  /** 0 where allowed, −∞ where forbidden; null without constraints. */
  private readonly masks: { start: Tensor; end: Tensor; trans: Tensor } | null;

  constructor(numTags: number, opts: CRFOptions = {}) {
    super();
    if (!Number.isInteger(numTags) || numTags < 1) throw new RecurError(`CRF: numTags must be a positive integer, got ${numTags}`);
    const K = (this.numTags = numTags);
    const rng = opts.rng ?? globalRng;
    this.startTransitions = this.param('start_transitions', zeros([K]));
    this.endTransitions = this.param('end_transitions', zeros([K]));
    this.transitions = this.param('transitions', zeros([K, K]));
    for (const p of [this.startTransitions, this.endTransitions, this.transitions]) rng.fillUniform(p.data, -0.1, 0.1);
    this.tagNames = opts.tagNames;
    if (opts.tagNames && opts.tagNames.length !== K) throw new RecurError(`CRF: ${opts.tagNames.length} tag names for ${K} tags`);
    this.constraints = opts.constraints ?? null;
    this.masks = this.constraints ? buildMasks(this.constraints, K) : null;
  }

  /** The scores the dynamic programmes use: learned + constraint masks. */
  private effective(): { start: Tensor; end: Tensor; trans: Tensor } {
    const m = this.masks;
    if (!m) return { start: this.startTransitions, end: this.endTransitions, trans: this.transitions };
    return { start: add(this.startTransitions, m.start), end: add(this.endTransitions, m.end), trans: add(this.transitions, m.trans) };
  }

  private dims(emissions: Tensor, op: string): [number, number, number] {
    if (emissions.ndim !== 3 || emissions.shape[2] !== this.numTags) {
      throw new RecurError(`CRF.${op}: emissions must be [B, T, ${this.numTags}] (batch, steps, tags), got shape ${shapeStr(emissions.shape)}`);
    }
    return emissions.shape as [number, number, number];
  }

  /** log Z per sequence: [B]. */
  logPartition(emissions: Tensor, lengths?: ArrayLike<number>): Tensor {
    this.dims(emissions, 'logPartition');
    const e = this.effective();
    return crfLogPartition(emissions, e.trans, e.start, e.end, lengths);
  }

  /** score(y) per sequence for the given tag paths: [B]. */
  score(emissions: Tensor, tags: ArrayLike<number>, lengths?: ArrayLike<number>): Tensor {
    const [B, T, K] = this.dims(emissions, 'score');
    const len = crfLengths(lengths, B, T, 'CRF.score');
    const y = this.checkTags(tags, len, T);
    const e = this.effective();
    // Emissions of the gold tags; padded steps read tag 0 and are zeroed by the mask.
    const emPad = allocStorage(B * T);
    for (let b = 0; b < B; b++) for (let t = len[b]!; t < T; t++) emPad[b * T + t] = 1;
    let s = sum(reshape(maskedFill(pick(reshape(emissions, [B * T, K]), y), new Tensor(emPad, [B * T]), 0), [B, T]), 1);
    if (T > 1) {
      const idx = new Int32Array(B * (T - 1));
      const pad = allocStorage(B * (T - 1));
      for (let b = 0; b < B; b++) {
        for (let t = 1; t < T; t++) {
          const r = b * (T - 1) + t - 1;
          if (t < len[b]!) idx[r] = y[b * T + t - 1]! * K + y[b * T + t]!;
          else pad[r] = 1;
        }
      }
      // maskedFill, not a multiply by 0: a padded pair may read a −∞ (forbidden) entry.
      const pairs = maskedFill(indexSelect(reshape(e.trans, [K * K]), idx), new Tensor(pad, [B * (T - 1)]), 0);
      s = add(s, sum(reshape(pairs, [B, T - 1]), 1));
    }
    const first = new Int32Array(B), last = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      first[b] = y[b * T]!;
      last[b] = y[b * T + len[b]! - 1]!;
    }
    return add(add(s, indexSelect(e.start, first)), indexSelect(e.end, last));
  }

  /**
   * log p(tags | emissions) per sequence: [B] (pytorch-crf's forward with reduction 'none').
   * With constraints, a gold path that breaks them is an error naming the sequence and step
   * (its probability would be 0 and the loss infinite).
   */
  forward(emissions: Tensor, tags: ArrayLike<number>, lengths?: ArrayLike<number>): Tensor {
    const [B, T] = this.dims(emissions, 'forward');
    const len = crfLengths(lengths, B, T, 'CRF.forward');
    return sub(this.score(emissions, tags, len), this.logPartition(emissions, len));
  }

  /** The best tag path of each sequence (Viterbi), obeying the constraints. */
  decode(emissions: Tensor, lengths?: ArrayLike<number>): ViterbiResult {
    this.dims(emissions, 'decode');
    const e = this.effective();
    return crfViterbi(emissions, e.trans, e.start, e.end, lengths);
  }

  private checkTags(tags: ArrayLike<number>, len: Int32Array, T: number): Int32Array {
    const B = len.length, K = this.numTags;
    if (tags.length !== B * T) throw new RecurError(`CRF: ${tags.length} tags for emissions of ${B} sequences x ${T} steps (expected ${B * T}, batch-major)`);
    const y = new Int32Array(B * T);
    for (let b = 0; b < B; b++) {
      for (let t = 0; t < len[b]!; t++) {
        const v = tags[b * T + t]!;
        if (!Number.isInteger(v) || v < 0 || v >= K) throw new RecurError(`CRF: tag ${v} of sequence ${b} at step ${t} is out of range [0, ${K})`);
        y[b * T + t] = v;
      }
      if (this.constraints) {
        const why = constraintViolation(y.subarray(b * T, b * T + len[b]!), this.constraints, this.tagNames);
        if (why) throw new RecurError(`CRF: the tags of sequence ${b} break the transition constraints: the path ${why}`);
      }
    }
    return y;
  }

  override toString(): string {
    return `CRF(numTags=${this.numTags}${this.constraints ? ', constrained' : ''})`;
  }
}

function buildMasks(c: TransitionConstraints, K: number): { start: Tensor; end: Tensor; trans: Tensor } {
  if (c.start.length !== K || c.end.length !== K || c.transitions.length !== K || c.transitions.some((r) => r.length !== K)) {
    throw new RecurError(`CRF: constraints must cover ${K} tags (start [${K}], end [${K}], transitions [${K}][${K}])`);
  }
  const vec = (allowed: readonly boolean[]): Tensor => {
    const t = zeros([allowed.length]);
    allowed.forEach((ok, i) => { if (!ok) t.data[i] = -Infinity; });
    return t;
  };
  const trans = zeros([K, K]);
  c.transitions.forEach((row, i) => row.forEach((ok, j) => { if (!ok) trans.data[i * K + j] = -Infinity; }));
  return { start: vec(c.start), end: vec(c.end), trans };
}
