export { embedding } from './embedding.js';
export { softplus } from './softplus.js';
export { conv1d, conv1dChannelsLast, conv1dLength, unfold1d } from './conv1d.js';
export type { Conv1dOptions } from './conv1d.js';
