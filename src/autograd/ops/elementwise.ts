import { allocStorage, emptyStorage, kernels, type BinaryOp, type UnaryOp } from '../../kernels/index.js';
import { Tensor } from '../../tensor/tensor.js';
import { gradOf, outGrad, record } from '../engine.js';
import { broadcastShapes } from './broadcast.js';

function scalar(v: number): Tensor {
  const d = allocStorage(1);
  d[0] = v;
  return new Tensor(d, []);
}

/**
 * a op b with broadcasting. Backward of a broadcast operand sums the gradient over the
 * repeated positions (sumToBroadcast), so a bias added at every timestep receives the sum.
 */
function binary(op: BinaryOp, a: Tensor, bIn: Tensor | number): Tensor {
  const b = typeof bIn === 'number' ? scalar(bIn) : bIn;
  const bc = broadcastShapes(a.shape, b.shape, op);
  const K = kernels();
  // Written whole by the kernel (accumulate false).
  const out = new Tensor(emptyStorage(bc.shape.reduce((x, y) => x * y, 1)), bc.shape);
  K.binary(op, a.data, bc.aRepeat, b.data, bc.bRepeat, out.data, false);

  return record(out, op, [a, b], () => {
    const K = kernels();
    const gy = outGrad(out);
    // Adds `g` (full size) into t's gradient, reducing over broadcast positions if needed.
    const into = (t: Tensor, full: boolean, repeat: number, g: Float32Array, alpha: number): void => {
      if (!t.requiresGrad) return;
      if (full) K.axpy(alpha, g, gradOf(t));
      else K.sumToBroadcast(g, repeat, gradOf(t), alpha);
    };
    const tmp = (): Float32Array => allocStorage(gy.length);
    switch (op) {
      case 'add':
        into(a, bc.aFull, bc.aRepeat, gy, 1);
        into(b, bc.bFull, bc.bRepeat, gy, 1);
        break;
      case 'sub':
        into(a, bc.aFull, bc.aRepeat, gy, 1);
        into(b, bc.bFull, bc.bRepeat, gy, -1);
        break;
      case 'mul':
        if (a.requiresGrad) {
          if (bc.aFull) K.binary('mul', gy, 1, b.data, bc.bRepeat, gradOf(a), true);
          else { const t = tmp(); K.binary('mul', gy, 1, b.data, bc.bRepeat, t, false); into(a, false, bc.aRepeat, t, 1); }
        }
        if (b.requiresGrad) {
          if (bc.bFull) K.binary('mul', gy, 1, a.data, bc.aRepeat, gradOf(b), true);
          else { const t = tmp(); K.binary('mul', gy, 1, a.data, bc.aRepeat, t, false); into(b, false, bc.bRepeat, t, 1); }
        }
        break;
      case 'div':
        if (a.requiresGrad) {
          if (bc.aFull) K.binary('div', gy, 1, b.data, bc.bRepeat, gradOf(a), true);
          else { const t = tmp(); K.binary('div', gy, 1, b.data, bc.bRepeat, t, false); into(a, false, bc.aRepeat, t, 1); }
        }
        if (b.requiresGrad) {
          // d(a/b)/db = -y/b
          const t = tmp();
          K.binary('mul', gy, 1, out.data, 1, t, false);
          K.binary('div', t, 1, b.data, bc.bRepeat, t, false);
          into(b, bc.bFull, bc.bRepeat, t, -1);
        }
        break;
      default:
        throw new Error(`no backward for ${op}`);
    }
  });
}

export const add = (a: Tensor, b: Tensor | number): Tensor => binary('add', a, b);
export const sub = (a: Tensor, b: Tensor | number): Tensor => binary('sub', a, b);
export const mul = (a: Tensor, b: Tensor | number): Tensor => binary('mul', a, b);
export const div = (a: Tensor, b: Tensor | number): Tensor => binary('div', a, b);

function unary(op: UnaryOp, x: Tensor): Tensor {
  const out = new Tensor(allocStorage(x.size), x.shape);
  kernels().unary(op, x.data, out.data);
  return record(out, op, [x], () => {
    kernels().unaryBackward(op, x.data, out.data, outGrad(out), gradOf(x));
  });
}

export const neg = (x: Tensor): Tensor => unary('neg', x);
export const exp = (x: Tensor): Tensor => unary('exp', x);
export const log = (x: Tensor): Tensor => unary('log', x);
export const tanh = (x: Tensor): Tensor => unary('tanh', x);
export const sigmoid = (x: Tensor): Tensor => unary('sigmoid', x);
export const relu = (x: Tensor): Tensor => unary('relu', x);
export const sqrt = (x: Tensor): Tensor => unary('sqrt', x);
export const square = (x: Tensor): Tensor => unary('square', x);
export const abs = (x: Tensor): Tensor => unary('abs', x);
