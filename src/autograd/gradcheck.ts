import { RecurError } from '../errors.js';
import { withFloat64 } from '../kernels/index.js';
import { Rng } from '../tensor/rng.js';
import { Tensor } from '../tensor/tensor.js';
import { noGrad } from './grad-mode.js';

export interface GradcheckOptions {
  eps?: number;
  atol?: number;
  rtol?: number;
  /** Check at most this many elements per tensor (chosen at random); all by default. */
  maxPerTensor?: number;
  seed?: number;
}

export interface GradcheckFailure {
  tensor: number;
  name: string;
  index: number;
  analytic: number;
  numeric: number;
}

export interface GradcheckResult {
  ok: boolean;
  maxAbsError: number;
  checked: number;
  failures: GradcheckFailure[];
}

/**
 * Compares the gradients of L = Σ fn() · R (R random, fixed) with respect to `wrt` against
 * central differences, in float64 on the reference backend, as torch.autograd.gradcheck
 * does. `wrt` are leaf tensors (inputs, parameters); their storage is swapped to float64
 * for the check and restored afterwards. fn must be deterministic.
 */
export function gradcheck(fn: () => Tensor, wrt: readonly Tensor[], opts: GradcheckOptions = {}): GradcheckResult {
  const eps = opts.eps ?? 1e-6, atol = opts.atol ?? 1e-5, rtol = opts.rtol ?? 1e-4;
  const rng = new Rng(opts.seed ?? 1234);
  const saved = wrt.map((t) => ({ data: t.data, grad: t.grad, requiresGrad: t.requiresGrad }));
  try {
    return withFloat64(() => {
      for (const t of wrt) {
        t.data = Float64Array.from(t.data) as unknown as Float32Array;
        t.grad = null;
        t.requiresGrad = true;
      }
      let R: Float64Array | null = null;
      const objective = (): { loss: number; out: Tensor } => {
        const out = fn();
        if (!R) {
          R = new Float64Array(out.size);
          for (let i = 0; i < R.length; i++) R[i] = rng.normal();
        }
        let s = 0;
        for (let i = 0; i < out.size; i++) s += out.data[i]! * R[i]!;
        return { loss: s, out };
      };

      const { out } = objective();
      if (!out.requiresGrad) throw new RecurError('gradcheck: the output does not depend on any checked tensor');
      out.backward(new Tensor(Float64Array.from(R!) as unknown as Float32Array, out.shape));
      const analytic = wrt.map((t) => (t.grad ? Float64Array.from(t.grad.data) : new Float64Array(t.size)));

      const failures: GradcheckFailure[] = [];
      let maxAbsError = 0, checked = 0;
      noGrad(() => {
        wrt.forEach((t, ti) => {
          const idx = pickIndices(t.size, opts.maxPerTensor, rng);
          for (const i of idx) {
            const orig = t.data[i]!;
            t.data[i] = orig + eps;
            const fp = objective().loss;
            t.data[i] = orig - eps;
            const fm = objective().loss;
            t.data[i] = orig;
            const numeric = (fp - fm) / (2 * eps);
            const a = analytic[ti]![i]!;
            const err = Math.abs(a - numeric);
            maxAbsError = Math.max(maxAbsError, err);
            checked++;
            if (!(err <= atol + rtol * Math.abs(numeric))) {
              failures.push({ tensor: ti, name: t.name ?? `input ${ti}`, index: i, analytic: a, numeric });
            }
          }
        });
      });
      return { ok: failures.length === 0, maxAbsError, checked, failures };
    });
  } finally {
    wrt.forEach((t, i) => {
      t.data = saved[i]!.data;
      t.grad = saved[i]!.grad;
      t.requiresGrad = saved[i]!.requiresGrad;
    });
  }
}

function pickIndices(n: number, max: number | undefined, rng: Rng): number[] {
  if (max === undefined || n <= max) return Array.from({ length: n }, (_, i) => i);
  const p = rng.permutation(n);
  return Array.from(p.subarray(0, max));
}
