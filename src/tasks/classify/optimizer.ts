export { OPTIMIZERS, optimizerByName as taskOptimizer, type OptimizerName } from '../../optim/by-name.js';
