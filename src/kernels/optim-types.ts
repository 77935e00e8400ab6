/**
 * Optimizer steps. Each updates p (and its state) in place, exactly as PyTorch 1.13's
 * single-tensor implementations; `g` is read only. Conventions for every area are in types.ts.
 */
export interface AdamParams {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** AdamW: decay the weights directly instead of adding wd*p to the gradient. */
  decoupled: boolean;
  amsgrad: boolean;
  /** 1-based step count, for bias correction. */
  step: number;
}

export interface RmspropParams {
  lr: number;
  alpha: number;
  eps: number;
  weightDecay: number;
  /** Used only when a momentum buffer is passed. */
  momentum: number;
}

export interface AdagradParams {
  lr: number;
  lrDecay: number;
  weightDecay: number;
  eps: number;
  /** 1-based step count: clr = lr / (1 + (step − 1) · lrDecay). */
  step: number;
}

export interface OptimKernels {
  /** One Adam/AdamW step in place on p, m, v (and vmax for amsgrad). */
  adamStep(p: Float32Array, g: Float32Array, m: Float32Array, v: Float32Array, vmax: Float32Array | null, o: AdamParams): void;
  /**
   * g' = g + wd·p; sq = α·sq + (1−α)·g'²; centered (gradAvg given): ga = α·ga + (1−α)·g',
   * avg = √(sq − ga²) + eps, else avg = √sq + eps; with a momentum buffer:
   * buf = μ·buf + g'/avg, p −= lr·buf; else p −= lr·g'/avg.
   */
  rmspropStep(p: Float32Array, g: Float32Array, squareAvg: Float32Array, gradAvg: Float32Array | null,
    momentumBuffer: Float32Array | null, o: RmspropParams): void;
  /** g' = g + wd·p; sum += g'²; p −= clr·g' / (√sum + eps). */
  adagradStep(p: Float32Array, g: Float32Array, sum: Float32Array, o: AdagradParams): void;
}
