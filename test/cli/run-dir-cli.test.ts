import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recurHere } from './in-process.js';
import { backendIndependent } from '../helpers/backend-independent.js';

// Run-directory rules are CLI logic, independent of the kernels: one backend's pass is enough.
const { skip } = backendIndependent;

function setup(): { dir: string; corpus: string; lm: (out: string, ...more: string[]) => string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'recur-rundir-'));
  const corpus = join(dir, 'corpus.txt');
  writeFileSync(corpus, 'a rose is a rose is a rose. '.repeat(40));
  const lm = (out: string, ...more: string[]): string[] =>
    ['train', 'lm', '--corpus', corpus, '--hidden', '8', '--embed', '4', '--layers', '1', '--batch', '4', '--bptt', '8', '--out', out, ...more];
  return { dir, corpus, lm };
}

function assertOneLine(r: { status: number | null; stderr: string }, msg: RegExp, what: string): void {
  assert.equal(r.status, 1, `${what}: exit code (stderr: ${r.stderr})`);
  assert.match(r.stderr, msg, what);
  assert.doesNotMatch(r.stderr, /\n\s+at /, `${what}: no stack trace`);
}

const rows = (dir: string): Array<{ type: string; step: number; [k: string]: unknown }> =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; step: number });

test('CLI run directory: a run is never replaced without --overwrite; --resume keeps model options, applies others with a log line', { skip }, async () => {
  const { dir, lm } = setup();
  const out = join(dir, 'run');
  assert.equal((await recurHere(...lm(out, '--steps', '12', '--eval-every', '6'))).status, 0);

  assertOneLine(await recurHere(...lm(out, '--steps', '12')), /--out .*run holds a run of task 'lm' at step 12 \(last\.safetensors\): add --resume to continue it, --overwrite to replace it/, 'existing run');
  assertOneLine(await recurHere('train', 'tag', '--data', 'fixtures/tasks/ner-tiny.conll', '--out', out), /holds a run of task 'lm' at step 12/, 'another task into an LM run');
  assert.equal(loadStep(out), 12, 'the LM run is untouched');
  const other = join(dir, 'other');
  mkdirSync(other);
  writeFileSync(join(other, 'notes.txt'), 'mine');
  assertOneLine(await recurHere(...lm(other, '--steps', '2')), /--out .*other is not empty \(1 entry: notes\.txt\)/, 'directory with other files');

  assertOneLine(await recurHere(...lm(out, '--resume', '--hidden', '16')), /cannot resume .*run with a different option: --hidden was 8, now 16/, 'changed model option');
  assertOneLine(await recurHere(...lm(out, '--resume', '--optimizer', 'sgd')), /--optimizer was "adam", now "sgd"/, 'changed optimizer');
  const r = await recurHere(...lm(out, '--resume', '--steps', '18', '--clip', '1', '--lr', '0.01'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /resumed with --clip 5 -> 1/);
  assert.match(r.stderr, /resumed with --steps 12 -> 18/);
  assert.match(r.stderr, /step 12: learning rate 0\.00[12] -> 0\.01\n/);
  assert.ok(rows(out).some((x) => x.type === 'lr' && x.step === 12 && x.lr === 0.01), 'the rate change is in metrics.jsonl');
  assert.match(r.stdout, /\(18 steps,/);
  // Options left out on resume are the run's own (hidden 8, batch 4, ...): this is not a mismatch.
  const again = await recurHere('train', 'lm', '--out', out, '--resume', '--steps', '20');
  assert.equal(again.status, 0, again.stderr);
  assert.match(again.stdout, /\(20 steps,/);

  const o = await recurHere(...lm(out, '--steps', '6', '--eval-every', '3', '--overwrite'));
  assert.equal(o.status, 0, o.stderr);
  assert.equal(Math.max(...rows(out).map((x) => x.step)), 6, 'metrics.jsonl holds only the new run');
  assertOneLine(await recurHere(...lm(out, '--resume', '--overwrite')), /--resume and --overwrite contradict each other/, 'both');
});

function loadStep(dir: string): number {
  const buf = readFileSync(join(dir, 'last.safetensors'));
  const header = JSON.parse(buf.subarray(8, 8 + Number(buf.readBigUInt64LE(0))).toString('utf8')) as { __metadata__: { state: string } };
  return (JSON.parse(header.__metadata__.state) as { step: number }).step;
}

test('CLI run directory: --out that cannot hold a run gives one line at once', { skip, timeout: 60_000 }, async () => {
  const { dir, corpus, lm } = setup();
  symlinkSync(join(dir, 'nowhere'), join(dir, 'dangling'));
  for (const [out, msg] of [
    ['', /--out is empty/],
    ['/proc/recur-test', /--out \/proc\/recur-test: cannot create \/proc\/recur-test/],
    [corpus, /--out .*corpus\.txt is a file, not a directory/],
    [join(corpus, 'run'), /corpus\.txt is a file, not a directory/],
    ['/sys/recur-test', /--out \/sys\/recur-test: cannot create \/sys\/recur-test/],
    ['/dev/full', /--out \/dev\/full is a device, not a directory/],
    [join(dir, 'dangling'), /dangling is a symbolic link to a missing target/],
  ] as const) {
    assertOneLine(await recurHere(...lm(out, '--steps', '2')), msg, `--out '${out}'`);
  }
  assertOneLine(await recurHere(...lm(join(dir, 'm0'), '--minutes', '0')), /--minutes must be a number above 0, got '0'/, '--minutes 0');
  assertOneLine(await recurHere(...lm(join(dir, 'nothing'), '--resume')), /nothing to resume: .*nothing does not exist/, 'resume of nothing');
  assert.ok(!existsSync(join(dir, 'm0')) && !existsSync(join(dir, 'nothing')));
});

test('CLI run directory: Adam at --lr 1e38 stops naming the step and leaves no empty run folder', { skip }, async () => {
  const { dir, lm } = setup();
  const out = join(dir, 'huge');
  assertOneLine(await recurHere(...lm(out, '--steps', '30', '--lr', '1e38')), /(loss is (NaN|Infinity) at step \d+|parameter '.+' is not finite after the update of step \d+).*nothing was saved/, 'lr 1e38');
  assert.ok(!existsSync(out), 'no run folder left behind');
});

test('CLI run directory: --resume with only best.safetensors, stale temp files, a torn metrics line, eval from another directory', { skip }, async () => {
  const { dir, lm } = setup();
  const out = join(dir, 'run');
  assert.equal((await recurHere(...lm(out, '--steps', '12', '--eval-every', '12'))).status, 0);
  // As after a kill: last gone, a temp file of a dead process, a torn line and steps past the checkpoint.
  renameSync(join(out, 'last.safetensors'), join(dir, 'last.bak'));
  writeFileSync(join(out, '.last.safetensors.999999999.1.tmp'), 'partial');
  appendFileSync(join(out, 'metrics.jsonl'), '{"type":"train","step":99,"loss":1}\n{"type":"tr');
  const rep = await recurHere('report', out);
  assert.equal(rep.status, 0, rep.stderr);
  assert.match(rep.stderr, /metrics\.jsonl:\d+: incomplete last line skipped/);

  const r = await recurHere(...lm(out, '--resume', '--steps', '14'));
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /no last\.safetensors in .*run: resuming from best\.safetensors \(step 12\)/);
  assert.match(r.stdout, /\(14 steps,/);
  assert.deepEqual(readdirSync(out).filter((f) => f.endsWith('.tmp')), []);
  const steps = rows(out).filter((x) => x.type === 'train').map((x) => x.step);
  assert.deepEqual(steps, [10], 'rows past the resumed step are gone, none repeated');

  // The corpus was given relative to `dir`: eval from elsewhere still finds it.
  const cwd = process.cwd();
  process.chdir(dir);
  let t;
  try {
    t = await recurHere('train', 'lm', '--corpus', 'corpus.txt', '--hidden', '8', '--embed', '4', '--layers', '1', '--batch', '4', '--bptt', '8', '--steps', '6', '--out', 'rel');
  } finally {
    process.chdir(cwd);
  }
  assert.equal(t.status, 0, t.stderr);
  const e = await recurHere('eval', join(dir, 'rel'));
  assert.equal(e.status, 0, e.stderr);
  assert.match(e.stdout, new RegExp(`${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/corpus\\.txt test: \\d+ characters`));
});

test('CLI run directory: SIGTERM, SIGHUP and SIGINT save and exit 143, 129, 130', { skip }, async () => {
  const { dir, lm } = setup();
  for (const [signal, code] of [['SIGTERM', 143], ['SIGHUP', 129], ['SIGINT', 130]] as const) {
    const out = join(dir, signal);
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/cli/main.ts', ...lm(out, '--steps', '100000', '--save-every', '10')], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
    const metrics = join(out, 'metrics.jsonl');
    while (!existsSync(metrics) || !readFileSync(metrics, 'utf8').includes('"type":"train"')) await new Promise((r) => setTimeout(r, 20));
    child.kill(signal);
    assert.equal(await exited, code, `${signal}: ${stderr}`);
    assert.match(stderr, /saving a checkpoint/);
    assert.ok(loadStep(out) >= 10, `${signal}: last.safetensors holds the progress`);
  }
});
