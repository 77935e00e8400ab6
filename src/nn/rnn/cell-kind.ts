/**
 * The recurrent layer a task model stacks, as the CLI's `--cell` names it. (The fused kernels
 * distinguish finer variants, `FusedCellKind` in fused.ts; RNN/LSTM/GRU map onto those.)
 */
export type CellKind = 'lstm' | 'gru' | 'rnn';
export const CELL_KINDS: readonly CellKind[] = ['lstm', 'gru', 'rnn'];
