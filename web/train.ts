/** The Train pane: text in, a char LSTM trained by train-worker.ts, a live loss chart, a checkpoint out. */
import { CategoryScale, Chart, LinearScale, LineController, LineElement, PointElement } from 'chart.js';
import { $, setStatus } from './dom.js';
import type { FromWorker, ToWorker } from './train-protocol.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale);

export function startTrainPane(): void {
  const text = $('train-text') as HTMLTextAreaElement;
  const start = $('train-start') as HTMLButtonElement, stop = $('train-stop') as HTMLButtonElement;
  const resume = $('train-resume') as HTMLButtonElement, download = $('train-download') as HTMLButtonElement;
  const chart = new Chart<'line', number[], number>($('train-chart') as HTMLCanvasElement, {
    type: 'line',
    data: { labels: [], datasets: [{ label: 'loss (nats/char)', data: [], borderColor: '#3b6fd8', pointRadius: 0, borderWidth: 1.5 }] },
    options: { animation: false, maintainAspectRatio: false, scales: { x: { title: { display: true, text: 'step' } }, y: { title: { display: true, text: 'loss' } } } },
  });
  let worker: Worker | null = null;
  let latest: Extract<FromWorker, { type: 'step' }> | null = null, drawPending = false, lastDraw = 0;
  const draw = (): void => {
    drawPending = false;
    lastDraw = performance.now();
    chart.update();
    if (!latest) return;
    setStatus('train-status', `step ${latest.step}: loss ${latest.loss.toFixed(3)} nats/char, ${Math.round(latest.tokensPerSecond)} tokens/s`);
    $('train-status').dataset.step = String(latest.step);
    $('train-status').dataset.loss = String(latest.loss);
  };
  const send = (m: ToWorker): void => worker!.postMessage(m);
  const num = (id: string): number => Number(($(id) as HTMLInputElement).value);

  text.addEventListener('dragover', (e) => e.preventDefault());
  text.addEventListener('drop', (e) => {
    e.preventDefault();
    const f = e.dataTransfer?.files[0];
    if (f) void f.text().then((t) => { text.value = t; setStatus('train-status', `${f.name}: ${t.length} characters`); });
  });

  const onMessage = (e: MessageEvent<FromWorker>): void => {
    const m = e.data;
    if (m.type === 'started') setStatus('train-status', `training on ${m.characters} characters, ${m.vocab} symbols (${m.backend} in the worker)`);
    else if (m.type === 'step') {
      chart.data.labels!.push(m.step);
      chart.data.datasets[0]!.data.push(m.loss);
      if (m.step === 1) $('train-status').dataset.firstLoss = String(m.loss);
      latest = m;
      // Small models step hundreds of times a second: redraw at most every 250 ms, on a frame.
      if (!drawPending && performance.now() - lastDraw > 250) {
        drawPending = true;
        requestAnimationFrame(draw);
      }
    } else if (m.type === 'stopped') {
      draw();
      setStatus('train-status', `stopped at step ${m.step}`);
      stop.disabled = true;
      resume.disabled = false;
    } else if (m.type === 'checkpoint') {
      const url = URL.createObjectURL(new Blob([m.bytes as Uint8Array<ArrayBuffer>], { type: 'application/octet-stream' }));
      const a = document.createElement('a');
      a.href = url;
      a.download = 'recur-browser.safetensors';
      a.click();
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
      setStatus('train-status', `checkpoint of step ${m.step} downloaded (${(m.bytes.length / 1024).toFixed(0)} KB)`);
    } else {
      setStatus('train-status', `error: ${m.message}`);
      start.disabled = false;
      stop.disabled = true;
    }
  };

  start.addEventListener('click', () => {
    if (text.value.length < 100) return setStatus('train-status', 'paste at least 100 characters of text first');
    worker?.terminate();
    worker = new Worker(new URL('./train-worker.js', import.meta.url), { type: 'module' });
    worker.onmessage = onMessage;
    chart.data.labels = [];
    chart.data.datasets[0]!.data = [];
    chart.update();
    setStatus('train-status', 'starting the worker…');
    send({ type: 'start', text: text.value, hidden: num('train-hidden'), batch: num('train-batch'), seqLen: num('train-seq'), lr: num('train-lr'), seed: 0 });
    stop.disabled = false;
    resume.disabled = true;
    download.disabled = false;
  });
  stop.addEventListener('click', () => send({ type: 'stop' }));
  resume.addEventListener('click', () => {
    send({ type: 'resume' });
    resume.disabled = true;
    stop.disabled = false;
  });
  download.addEventListener('click', () => send({ type: 'download' }));
}
