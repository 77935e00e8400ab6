export { sampleLogits, samplingDistribution, argmaxOf, checkSamplingOptions } from './sampling.js';
export type { SamplingOptions } from './sampling.js';
export { beamSearch } from './beam.js';
export type { BeamStepper, BeamOptions, Hypothesis } from './beam.js';
export { ctcGreedy, ctcPrefixBeam } from './ctc.js';
export type { CtcHypothesis, FusionLm, PrefixBeamOptions, WordConstraint } from './ctc.js';
