import { RecurError } from '../errors.js';
import type { Tensor } from '../tensor/tensor.js';
import { Adagrad } from './adagrad.js';
import { Adam, AdamW } from './adam.js';
import type { Optimizer } from './optimizer.js';
import { RMSprop } from './rmsprop.js';
import { SGD } from './sgd.js';

export type OptimizerName = 'adam' | 'adamw' | 'sgd' | 'rmsprop' | 'adagrad';
export const OPTIMIZERS: readonly OptimizerName[] = ['adam', 'adamw', 'sgd', 'rmsprop', 'adagrad'];

/**
 * The optimizers the CLI offers, by name, with PyTorch's defaults plus an optional weight
 * decay (decoupled for AdamW, as PyTorch); SGD uses momentum 0.9.
 */
export function optimizerByName(name: OptimizerName, params: Tensor[], lr: number, weightDecay = 0): Optimizer {
  const wd = { weightDecay };
  switch (name) {
    case 'adam': return new Adam(params, { lr, ...wd });
    case 'adamw': return new AdamW(params, { lr, ...wd });
    case 'sgd': return new SGD(params, { lr, momentum: 0.9, ...wd });
    case 'rmsprop': return new RMSprop(params, { lr, ...wd });
    case 'adagrad': return new Adagrad(params, { lr, ...wd });
    default: throw new RecurError(`unknown optimizer '${String(name)}' (expected ${OPTIMIZERS.join(', ')})`);
  }
}
