import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as root from '../src/index.js';
import * as node from '../src/node.js';

test("'recur/node' adds the file-system parts to io and data; the root entry stays browser-safe", () => {
  assert.equal(typeof node.io.saveSafetensorsFile, 'function');
  assert.equal(typeof node.io.saveSafetensors, 'function');
  assert.equal(typeof node.data.loadTextCorpus, 'function');
  assert.equal(typeof node.data.batchify, 'function');
  assert.equal(node.nn, root.nn);
  assert.equal('saveSafetensorsFile' in root.io, false);
  assert.equal('loadTextCorpus' in root.data, false);
  assert.equal(typeof node.audio.readWavFile, 'function');
  assert.equal(typeof node.data.loadSpeechManifest, 'function');
  assert.equal(node.audio.fbank, root.audio.fbank);
  assert.equal('readWavFile' in root.audio, false);
  assert.equal('loadEspeakDigits' in root.data, false);
});
