let enabled = true;

export function isGradEnabled(): boolean {
  return enabled;
}

/** Runs fn without recording a graph, like `with torch.no_grad():`. */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}

/** Re-enables recording inside a noGrad scope. */
export function enableGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = true;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
