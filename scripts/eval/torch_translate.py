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
Prints one JSON line with steps, throughput and the final validation loss.
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


def read_seqs(d, name):
    flat = np.fromfile(os.path.join(d, name + ".i32"), dtype="<i4")
    off = np.fromfile(os.path.join(d, name + ".off"), dtype="<i4")
    return [flat[off[i]:off[i + 1]].astype(np.int64) for i in range(len(off) - 1)]


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = 2 if c["bidirectional"] else 1
        self.dirs, self.layers = d, c["encoderLayers"]
        self.embedding = nn.Embedding(c["srcVocabSize"], c["embedSize"], padding_idx=c["srcPadId"])
        self.drop = nn.Dropout(c["dropout"])
        cls = nn.LSTM if c["cell"] == "lstm" else nn.GRU
        self.rnn = cls(c["embedSize"], c["hiddenSize"] // d, c["encoderLayers"], batch_first=True,
                       bidirectional=c["bidirectional"], dropout=c["dropout"] if c["encoderLayers"] > 1 else 0)

    def forward(self, ids, lengths):
        x = self.drop(self.embedding(ids))
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
        out, st = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=ids.size(1))
        h, c = (st if isinstance(st, tuple) else (st, None))
        top = lambda s: torch.cat([s[(self.layers - 1) * self.dirs + k] for k in range(self.dirs)], 1)
        return out, top(h), (top(c) if c is not None else None)


class Bridge(nn.Module):
    def __init__(self, H, L, lstm):
        super().__init__()
        self.H, self.L = H, L
        self.h = nn.Linear(H, L * H)
        self.c = nn.Linear(H, L * H) if lstm else None

    def forward(self, h, c):
        split = lambda t: [t[:, l * self.H:(l + 1) * self.H] for l in range(self.L)]
        return split(torch.tanh(self.h(h))), (split(self.c(c)) if self.c is not None and c is not None else None)


class Attention(nn.Module):
    """recur's nn/attention.ts: additive vᵀtanh(W_q q + W_k h + b), dot qᵀh, general (W_aᵀq)ᵀh."""

    def __init__(self, score, H, A):
        super().__init__()
        self.score = score
        if score == "additive":
            self.query = nn.Linear(H, A, bias=False)
            self.key = nn.Linear(H, A)
            self.v = nn.Linear(A, 1, bias=False)
        elif score == "general":
            self.query = nn.Linear(H, H, bias=False)

    def prepare(self, values):
        return self.key(values) if self.score == "additive" else None

    def forward(self, q, values, keys, mask):
        if self.score == "additive":
            e = self.v(torch.tanh(keys + self.query(q).unsqueeze(1))).squeeze(2)
        else:
            qq = self.query(q) if self.score == "general" else q
            e = torch.bmm(values, qq.unsqueeze(2)).squeeze(2)
        e = e.masked_fill(mask, float("-inf"))
        w = torch.softmax(e, 1)
        return torch.bmm(w.unsqueeze(1), values).squeeze(1), w


SCORES = {"bahdanau": "additive", "luong-concat": "additive", "luong-dot": "dot", "luong-general": "general", "none": None}


class Decoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        H = c["hiddenSize"]
        score = SCORES[c["attention"]]
        self.bahdanau = c["attention"] == "bahdanau"
        self.feeds = c["inputFeeding"] and score is not None
        self.lstm = c["cell"] == "lstm"
        self.embedding = nn.Embedding(c["tgtVocabSize"], c["embedSize"], padding_idx=c["tgtPadId"])
        self.drop = nn.Dropout(c["dropout"])
        in0 = c["embedSize"] + (H if self.bahdanau else 0) + (H if self.feeds else 0)
        cell = nn.LSTMCell if self.lstm else nn.GRUCell
        self.cells = nn.ModuleList([cell(in0 if l == 0 else H, H) for l in range(c["decoderLayers"])])
        self.attention = Attention(score, H, c.get("attentionSize") or H) if score else None
        self.combine = nn.Linear(2 * H, H, bias=False) if score else None
        self.out = nn.Linear(H, c["tgtVocabSize"])

    def run_cells(self, x, h, c):
        hs, cs, inp = [], [], x
        for l, cell in enumerate(self.cells):
            if l > 0:
                inp = self.drop(inp)
            if self.lstm:
                hn, cn = cell(inp, (h[l], c[l]))
                cs.append(cn)
            else:
                hn = cell(inp, h[l])
            hs.append(hn)
            inp = hn
        return hs, (cs if self.lstm else None)

    def step(self, prev, h, c, feed, mem):
        emb = self.drop(self.embedding(prev))
        if self.attention is None:
            h, c = self.run_cells(emb, h, c)
            return self.drop(h[-1]), h, c, None, None
        values, keys, mask = mem
        if self.bahdanau:
            ctx, w = self.attention(h[-1], values, keys, mask)
            x = torch.cat([emb, ctx, feed] if self.feeds else [emb, ctx], 1)
            h, c = self.run_cells(x, h, c)
            out = self.drop(torch.tanh(self.combine(torch.cat([h[-1], ctx], 1))))
        else:
            h, c = self.run_cells(torch.cat([emb, feed], 1) if self.feeds else emb, h, c)
            ctx, w = self.attention(h[-1], values, keys, mask)
            out = self.drop(torch.tanh(self.combine(torch.cat([ctx, h[-1]], 1))))
        return out, h, c, (out if self.feeds else None), w


class Seq2Seq(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        self.encoder = Encoder(c)
        self.bridge = Bridge(c["hiddenSize"], c["decoderLayers"], c["cell"] == "lstm") if c["bridge"] == "dense" else None
        self.decoder = Decoder(c)

    def encode(self, ids, lengths):
        out, hT, cT = self.encoder(ids, lengths)
        B, H, L = ids.size(0), self.c["hiddenSize"], self.c["decoderLayers"]
        if self.bridge is not None:
            h, c = self.bridge(hT, cT)
        else:
            h = [torch.zeros(B, H) for _ in range(L)]
            c = [torch.zeros(B, H) for _ in range(L)] if self.c["cell"] == "lstm" else None
        feed = torch.zeros(B, H) if self.decoder.feeds else None
        mem = None
        if self.decoder.attention is not None:
            mask = torch.arange(ids.size(1))[None, :] >= lengths[:, None]
            mem = (out, self.decoder.attention.prepare(out), mask)
        return h, c, feed, mem

    def forward(self, ids, lengths, tgt_in):
        h, c, feed, mem = self.encode(ids, lengths)
        outs = []
        for t in range(tgt_in.size(0)):
            out, h, c, feed, _ = self.decoder.step(tgt_in[t], h, c, feed, mem)
            outs.append(out)
        return self.decoder.out(torch.stack(outs, 0).view(-1, self.c["hiddenSize"]))


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
            logits = model(ids, lens, tin)
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
            h, c, feed, mem = model.encode(ids, lens)
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
    sp = cfg["specials"]
    train = list(zip(read_seqs(d, "train_src"), read_seqs(d, "train_tgt")))
    valid = list(zip(read_seqs(d, "valid_src"), read_seqs(d, "valid_tgt")))
    test = read_seqs(d, "test_src")
    model = Seq2Seq(cfg["model"])
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
        logits = model(ids, lens, tin)
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
