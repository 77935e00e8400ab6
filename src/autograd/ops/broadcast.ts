import { RecurError } from '../../errors.js';
import { numel, sameShape, shapeStr, type Shape } from '../../tensor/shape.js';

/** How an operand is read against the output: element floor(i / repeat) % its length. */
export interface Broadcast {
  shape: number[];
  aRepeat: number;
  bRepeat: number;
  aFull: boolean;
  bFull: boolean;
}

/**
 * recur broadcasts one operand against the other when, right-aligned, it matches the larger
 * shape except for leading axes and a block of trailing size-1 axes: [3] with [2,3],
 * [B,T,1] with [B,T,H], a scalar with anything. That covers biases, masks and scalars
 * without general strided views.
 */
export function broadcastShapes(a: Shape, b: Shape, op: string): Broadcast {
  if (sameShape(a, b)) return { shape: [...a], aRepeat: 1, bRepeat: 1, aFull: true, bFull: true };
  const aBig = numel(a) >= numel(b);
  const big = aBig ? a : b, small = aBig ? b : a;
  const repeat = smallRepeat(small, big);
  if (repeat === null) {
    throw new RecurError(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast ` +
      `(recur broadcasts a trailing block like [3] with [2,3], or size-1 trailing axes like [2,1] with [2,3])`);
  }
  return aBig
    ? { shape: [...big], aRepeat: 1, bRepeat: repeat, aFull: true, bFull: numel(small) === numel(big) }
    : { shape: [...big], aRepeat: repeat, bRepeat: 1, aFull: numel(small) === numel(big), bFull: true };
}

function smallRepeat(small: Shape, big: Shape): number | null {
  let s = [...small];
  while (s.length && s[0] === 1) s = s.slice(1);
  if (s.length > big.length) return null;
  const off = big.length - s.length;
  // Trailing size-1 axes of s become the repeat; the rest must match exactly.
  let j = s.length;
  while (j > 0 && s[j - 1] === 1 && big[off + j - 1] !== 1) j--;
  for (let k = 0; k < j; k++) if (s[k] !== big[off + k]) return null;
  return numel(big.slice(off + j));
}
