/**
 * Browser-safe audio: WAV decoding, resampling, Kaldi fbank / MFCC features matching
 * torchaudio, deltas, CMVN and augmentation. File reading lives in `./node.js`.
 */
export { decodeWav, encodeWav16, WavError, type Audio } from './wav.js';
export { resample, type ResampleOptions } from './resample.js';
export { fbank, melBanks, melScale, featureWindow, EPSILON, type Features, type FbankOptions, type MelBanks, type WindowType } from './fbank.js';
export { mfcc, mfccDct, lifterCoeffs, type MfccOptions } from './mfcc.js';
export { computeDeltas, withDeltas } from './deltas.js';
export { cmvn, type CmvnOptions } from './normalize.js';
export { specAugment, changeSpeed, addNoise, whiteNoise, pinkNoise, perturbWaveform, type PerturbOptions, type SpecAugmentOptions } from './augment.js';
export { extractFeatures, featureDim, type FeatureConfig } from './features.js';
export { PowerSpectrum } from './fft.js';
