export { embedding } from './embedding.js';
export { softplus } from './softplus.js';
