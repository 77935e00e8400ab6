import { RecurError } from '../../errors.js';
import { Adagrad, Adam, AdamW, RMSprop, SGD, type Optimizer } from '../../optim/index.js';
import type { Tensor } from '../../tensor/tensor.js';
import { OPTIMIZERS, type OptimizerName } from '../lm/train-lm.js';

export { OPTIMIZERS, type OptimizerName };

/**
 * The optimizers the CLI offers, with an L2 weight decay (decoupled for AdamW, as PyTorch);
 * SGD uses momentum 0.9. Shared by the classification and tagging tasks.
 */
export function taskOptimizer(name: OptimizerName, params: Tensor[], lr: number, weightDecay = 0): Optimizer {
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
