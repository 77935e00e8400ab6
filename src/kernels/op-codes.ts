/**
 * The op codes the compiled kernels switch on, defined once: the wasm glue and the native glue
 * pass these numbers, assembly/elementwise.ts and native/src/kernels_api.h declare the same
 * values (test/kernels/mirrors.test.ts keeps them equal).
 */
export type UnaryOp = 'neg' | 'exp' | 'log' | 'tanh' | 'sigmoid' | 'relu' | 'sqrt' | 'square' | 'abs';
export type BinaryOp = 'add' | 'sub' | 'mul' | 'div' | 'max' | 'min';
export type ReduceOp = 'sum' | 'max';

export const UNARY_CODES: Readonly<Record<UnaryOp, number>> = { neg: 0, exp: 1, log: 2, tanh: 3, sigmoid: 4, relu: 5, sqrt: 6, square: 7, abs: 8 };
export const BINARY_CODES: Readonly<Record<BinaryOp, number>> = { add: 0, sub: 1, mul: 2, div: 3, max: 4, min: 5 };
export const REDUCE_CODES: Readonly<Record<ReduceOp, number>> = { sum: 0, max: 1 };
