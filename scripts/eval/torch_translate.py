#!/usr/bin/python3
"""PyTorch twin of recur's Seq2Seq (src/tasks/translate), for the same-wall-time comparison of
`npm run eval:translate`.

Reads the ids recur prepared (int32 little-endian: NAME.i32 holds the sequences back to back,
NAME.off the n+1 offsets) and a JSON config, builds the same model with the same parameter
names (encoder.embedding / encoder.rnn / bridge.h / decoder.embedding / decoder.cells.{l} /
decoder.attention / decoder.combine / decoder.out), trains it as recur's TranslateTask does
(length-bucketed batches of the same size, token cross-entropy ignoring padding, Adam,
grad-norm clipping, LR halved on a validation plateau) for the same number of minutes, then
greedily decodes the test sources (max length a*len+b) and writes their ids to test_hyp.json.
Prints one JSON line with steps, throughput and the final validation loss. With `init_out` it
first writes its initial weights (recur's names, so recur loads them as they are), and with
`init_only` stops there: both sides of the race then start from the same point.
Usage: torch_translate.py CONFIG.json DATA_DIR
"""
import json
import os
import random
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

# The model is the one `recur export torch` ships (python/recur_torch/model.py).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "python", "recur_torch"))
from model import Seq2Seq  # noqa: E402
from torch_lm import save_safetensors  # noqa: E402  (this script's folder is on sys.path)


def read_seqs(d, name):
    flat = np.fromfile(os.path.join(d, name + ".i32"), dtype="<i4")
    off = np.fromfile(os.path.join(d, name + ".off"), dtype="<i4")
    return [flat[off[i]:off[i + 1]].astype(np.int64) for i in range(len(off) - 1)]


def make_batch(pairs, sp):
    B = len(pairs)
    S = max(len(s) for s, _ in pairs)
    T = max(len(t) for _, t in pairs) + 1
    ids = torch.full((B, S), sp["srcPad"], dtype=torch.long)
    tin = torch.full((T, B), sp["tgtPad"], dtype=torch.long)
    tout = torch.full((T, B), sp["tgtPad"], dtype=torch.long)
    for b, (s, t) in enumerate(pairs):
        ids[b, :len(s)] = torch.from_numpy(s)
        tin[0, b] = sp["bos"]
        tin[1:len(t) + 1, b] = torch.from_numpy(t)
        tout[:len(t), b] = torch.from_numpy(t)
        tout[len(t), b] = sp["eos"]
    return ids, torch.tensor([len(s) for s, _ in pairs]), tin, tout


def epoch_batches(pairs, bs, rng):
    """As recur's epochBatches: shuffle, sort pools of 64 batches by source length, shuffle batches."""
    perm = list(range(len(pairs)))
    rng.shuffle(perm)
    batches, pool = [], bs * 64
    for i in range(0, len(perm), pool):
        chunk = sorted(perm[i:i + pool], key=lambda k: (-len(pairs[k][0]), -len(pairs[k][1])))
        batches += [chunk[j:j + bs] for j in range(0, len(chunk), bs)]
    rng.shuffle(batches)
    return batches


def valid_loss(model, pairs, sp, bs):
    model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(pairs)), key=lambda k: -len(pairs[k][0]))
    with torch.no_grad():
        for i in range(0, len(order), bs):
            ids, lens, tin, tout = make_batch([pairs[k] for k in order[i:i + bs]], sp)
            logits = model(ids, lens, tin).reshape(-1, model.c["tgtVocabSize"])
            total += F.cross_entropy(logits, tout.view(-1), ignore_index=sp["tgtPad"], reduction="sum").item()
            count += (tout != sp["tgtPad"]).sum().item()
    model.train()
    return total / count


def greedy(model, srcs, sp, a, b, bs=64):
    model.eval()
    out = [[] for _ in srcs]
    order = sorted(range(len(srcs)), key=lambda k: -len(srcs[k]))
    with torch.no_grad():
        for i in range(0, len(order), bs):
            idx = order[i:i + bs]
            S = max(len(srcs[k]) for k in idx)
            ids = torch.full((len(idx), S), sp["srcPad"], dtype=torch.long)
            for j, k in enumerate(idx):
                ids[j, :len(srcs[k])] = torch.from_numpy(srcs[k])
            lens = torch.tensor([len(srcs[k]) for k in idx])
            (h, c, feed), mem = model.encode(ids, lens)
            maxlen = [min(512, max(1, int(a * len(srcs[k]) + b))) for k in idx]
            prev = torch.full((len(idx),), sp["bos"], dtype=torch.long)
            done = [False] * len(idx)
            for t in range(max(maxlen)):
                o, h, c, feed, _ = model.decoder.step(prev, h, c, feed, mem)
                best = model.decoder.out(o).argmax(1)
                for j, k in enumerate(idx):
                    if not done[j]:
                        tok = best[j].item()
                        out[k].append(tok)
                        if tok == sp["eos"] or t + 1 >= maxlen[j]:
                            done[j] = True
                if all(done):
                    break
                prev = best
    return [o[:-1] if o and o[-1] == sp["eos"] else o for o in out]


def main():
    cfg = json.load(open(sys.argv[1]))
    d = sys.argv[2]
    torch.manual_seed(cfg.get("seed", 0))
    torch.set_num_threads(cfg.get("threads", 1))
    model = Seq2Seq(cfg["model"])
    if cfg.get("init_out"):
        save_safetensors(model, cfg["init_out"])
        if cfg.get("init_only"):
            return
    sp = cfg["specials"]
    train = list(zip(read_seqs(d, "train_src"), read_seqs(d, "train_tgt")))
    valid = list(zip(read_seqs(d, "valid_src"), read_seqs(d, "valid_tgt")))
    test = read_seqs(d, "test_src")
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    rng = random.Random(cfg.get("seed", 0))
    budget, bs = cfg["minutes"] * 60, cfg["batch"]
    t0, step, tokens, vl = time.time(), 0, 0, float("nan")
    batches, bi = epoch_batches(train, bs, rng), 0
    while time.time() - t0 < budget:
        if bi >= len(batches):
            batches, bi = epoch_batches(train, bs, rng), 0
        ids, lens, tin, tout = make_batch([train[k] for k in batches[bi]], sp)
        bi += 1
        logits = model(ids, lens, tin).reshape(-1, model.c["tgtVocabSize"])
        loss = F.cross_entropy(logits, tout.view(-1), ignore_index=sp["tgtPad"])
        opt.zero_grad()
        loss.backward()
        if cfg["clip"] > 0:
            nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
        opt.step()
        step += 1
        tokens += (tout != sp["tgtPad"]).sum().item()
        if cfg.get("evalEvery") and step % cfg["evalEvery"] == 0:
            vl = valid_loss(model, valid, sp, bs)
            sched.step(vl)
    train_time = time.time() - t0
    vl = valid_loss(model, valid, sp, bs)
    hyps = greedy(model, test, sp, cfg["maxLenA"], cfg["maxLenB"])
    json.dump([[int(x) for x in h] for h in hyps], open(os.path.join(d, "test_hyp.json"), "w"))
    print(json.dumps({"steps": step, "train_seconds": train_time, "tokens_per_sec": tokens / train_time, "valid_loss": vl,
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
