import { kernels } from '../kernels/index.js';
import type { Tensor } from '../tensor/tensor.js';
import { checkRange, Optimizer, type ParamGroup, type ParamsInput, type ParamState } from './optimizer.js';

export interface AdamOptions {
  lr?: number;
  betas?: readonly [number, number];
  eps?: number;
  weightDecay?: number;
  amsgrad?: boolean;
  /** Ascend instead of descend. */
  maximize?: boolean;
}

export interface AdamHyper {
  lr: number;
  betas: [number, number];
  eps: number;
  weightDecay: number;
  amsgrad: boolean;
  maximize: boolean;
}

function adamDefaults(opts: AdamOptions, weightDecay: number): AdamHyper {
  return {
    lr: opts.lr ?? 1e-3,
    betas: [...(opts.betas ?? [0.9, 0.999])] as [number, number],
    eps: opts.eps ?? 1e-8,
    weightDecay: opts.weightDecay ?? weightDecay,
    amsgrad: opts.amsgrad ?? false,
    maximize: opts.maximize ?? false,
  };
}

/** Shared Adam/AdamW body: one kernels().adamStep per parameter. */
abstract class AdamBase extends Optimizer<AdamHyper> {
  protected abstract readonly decoupled: boolean;

  protected validate(h: AdamHyper): void {
    const n = this.name;
    checkRange(n, 'learning rate lr', h.lr, 0);
    checkRange(n, 'eps', h.eps, 0);
    checkRange(n, 'beta1 (betas[0])', h.betas?.[0], 0, 1);
    checkRange(n, 'beta2 (betas[1])', h.betas?.[1], 0, 1);
    checkRange(n, 'weightDecay', h.weightDecay, 0);
  }

  protected update(p: Tensor, g: Float32Array, h: ParamGroup<AdamHyper>, st: ParamState): void {
    st.step++;
    const m = this.buffer(p, st, 'expAvg');
    const v = this.buffer(p, st, 'expAvgSq');
    const vmax = h.amsgrad ? this.buffer(p, st, 'maxExpAvgSq') : null;
    kernels().adamStep(p.data, this.signedGrad(p, g, h.maximize), m, v, vmax, {
      lr: h.lr, beta1: h.betas[0], beta2: h.betas[1], eps: h.eps, weightDecay: h.weightDecay,
      decoupled: this.decoupled, amsgrad: h.amsgrad, step: st.step,
    });
  }
}

/**
 * Adam, as `torch.optim.Adam` (PyTorch 1.13 update; t = step count from 1):
 *
 *     g ← g + wd·p                       (L2 penalty, coupled)
 *     m ← β1·m + (1 − β1)·g
 *     v ← β2·v + (1 − β2)·g²             amsgrad: v̂ = max(v̂, v), used instead of v
 *     p ← p − lr/(1 − β1ᵗ) · m / (√v / √(1 − β2ᵗ) + eps)
 *
 * Defaults lr 1e-3, betas [0.9, 0.999], eps 1e-8, weightDecay 0. State per parameter:
 * `step`, `expAvg`, `expAvgSq`, `maxExpAvgSq` (amsgrad).
 */
export class Adam extends AdamBase {
  override get name(): string {
    return 'Adam';
  }
  protected readonly decoupled = false;
  constructor(params: ParamsInput<AdamHyper>, opts: AdamOptions = {}) {
    super(params, adamDefaults(opts, 0));
  }
}

/**
 * AdamW, as `torch.optim.AdamW`: decoupled weight decay `p ← p·(1 − lr·wd)` first, then the
 * Adam update without an L2 term. Default weightDecay 0.01 (as PyTorch).
 */
export class AdamW extends AdamBase {
  override get name(): string {
    return 'AdamW';
  }
  protected readonly decoupled = true;
  constructor(params: ParamsInput<AdamHyper>, opts: AdamOptions = {}) {
    super(params, adamDefaults(opts, 0.01));
  }
}
