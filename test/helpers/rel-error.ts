/**
 * Max |got - want| scaled by max |want| (at least 1e-3, so an all-but-zero tensor is judged
 * absolutely): one number per tensor, comparable across tensors of different magnitude.
 * Infinity when the lengths differ, NaN when any element of either side is NaN (wherever it
 * is), so `relError(...) <= tol` fails. No Node imports: the browser check uses it too.
 */
export function relError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  if (got.length !== want.length) return Infinity;
  let d = 0, m = 0;
  for (let i = 0; i < want.length; i++) {
    const diff = Math.abs(got[i]! - want[i]!);
    if (Number.isNaN(diff)) return NaN;
    if (diff > d) d = diff;
    m = Math.max(m, Math.abs(want[i]!));
  }
  return d / Math.max(m, 1e-3);
}
