/** Entry of the visualiser's single-file HTML (`recur visualize`): renders the embedded data. */
import { renderViz, VIZ_CSS } from './viz.js';
import type { VizData } from '../src/tasks/lm/viz-data.js';

const style = document.createElement('style');
style.textContent = VIZ_CSS;
document.head.append(style);
const data = JSON.parse(document.getElementById('viz-data')!.textContent!) as VizData;
renderViz(document.getElementById('viz')!, data);
document.body.dataset.ready = 'true';
