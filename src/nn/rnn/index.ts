export { RNN, type RNNOptions } from './rnn.js';
export { CELL_KINDS, type CellKind } from './cell-kind.js';
export { LSTM, type LSTMOptions, type LSTMOutputs } from './lstm.js';
export { GRU, type GRUOptions } from './gru.js';
export { RNNBase, type RNNBaseOptions, type RecurrentInputs, type RecurrentOutputs } from './rnn-base.js';
export { RNNCell, LSTMCell, GRUCell, type CellOptions, type RNNCellOptions, type GRUCellOptions } from './cells.js';
export { orthogonal_, uniform_ } from './init.js';
export { RecurrentStepper, type RecurrentStepperOptions, type StepperState, type StepperWeights } from './stepper.js';
