#!/usr/bin/python3
"""PyTorch twin of recur's SpeechRecognizer (src/tasks/speech), for the same-wall-time comparison
of `npm run eval:speech`.

Reads the features and unit ids recur prepared (DATA_DIR/NAME.f32: float32 frames back to back,
NAME.frames: int32 frame counts; NAME.i32 / NAME.off: unit ids back to back and n+1 offsets) and
a JSON config, builds the same model with the same parameter names (conv.0 / conv.1: Conv1d
kernel 3 stride 2 padding 1 + ReLU with frames past each length zeroed; rnn: packed
bidirectional LSTM/GRU, LSTM forget-gate bias 1; output: Linear), trains it as recur's
SpeechTask does (length-bucketed batches of the same size, SpecAugment masks of the same
widths, CTC loss 'mean' with zero_infinity, Adam, grad-norm clipping 5, LR halved on a
validation plateau each epoch) for the same number of minutes, then greedily decodes every
evaluation set and writes the unit ids to DATA_DIR/hyp_NAME.json.
Prints one JSON line with steps, utterances per second and the last validation loss.
Usage: torch_speech.py CONFIG.json DATA_DIR
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


def read_set(d, name, dim):
    frames = np.fromfile(os.path.join(d, name + ".frames"), dtype="<i4")
    flat = np.fromfile(os.path.join(d, name + ".f32"), dtype="<f4")
    feats, o = [], 0
    for n in frames:
        feats.append(torch.from_numpy(flat[o:o + n * dim].reshape(n, dim).copy()))
        o += n * dim
    ids = np.fromfile(os.path.join(d, name + ".i32"), dtype="<i4")
    off = np.fromfile(os.path.join(d, name + ".off"), dtype="<i4")
    labels = [torch.from_numpy(ids[off[i]:off[i + 1]].astype(np.int64)) for i in range(len(off) - 1)]
    return feats, labels


class SpeechRecognizer(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.c = c
        convs = []
        for i in range(c["convLayers"]):
            convs.append(nn.Conv1d(c["inputSize"] if i == 0 else c["convChannels"], c["convChannels"], 3, stride=2, padding=1))
        self.conv = nn.ModuleList(convs)
        rin = c["convChannels"] if c["convLayers"] > 0 else c["inputSize"]
        cls = nn.LSTM if c["cell"] == "lstm" else nn.GRU
        self.rnn = cls(rin, c["hiddenSize"], c["numLayers"], batch_first=True, bidirectional=c["bidirectional"],
                       dropout=c["dropout"] if c["numLayers"] > 1 else 0)
        if c["cell"] == "lstm":
            H = c["hiddenSize"]
            with torch.no_grad():
                for name, p in self.rnn.named_parameters():
                    if name.startswith("bias_ih"):
                        p[H:2 * H] = 1.0
                    elif name.startswith("bias_hh"):
                        p[H:2 * H] = 0.0
        self.drop = nn.Dropout(c["dropout"])
        d = 2 if c["bidirectional"] else 1
        self.output = nn.Linear(d * c["hiddenSize"], c["numOutputs"])

    def forward(self, x, lengths):
        # x [B, T, I]
        for conv in self.conv:
            x = F.relu(conv(x.transpose(1, 2))).transpose(1, 2)
            lengths = (lengths - 1) // 2 + 1
            mask = torch.arange(x.size(1))[None, :] < lengths[:, None]
            x = x * mask[:, :, None]
        packed = nn.utils.rnn.pack_padded_sequence(x, lengths, batch_first=True, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
        return F.log_softmax(self.output(self.drop(out)), -1).transpose(0, 1), lengths


def pad(feats, idx):
    """A padded batch [B, T, I] of feats[i] for i in idx (a list or a dict of [T_i, I] tensors)."""
    T = max(feats[i].size(0) for i in idx)
    x = torch.zeros(len(idx), T, feats[idx[0]].size(1))
    for r, i in enumerate(idx):
        x[r, :feats[i].size(0)] = feats[i]
    return x, torch.tensor([feats[i].size(0) for i in idx])


def spec_augment(f, rng, sa):
    # As src/audio/augment.ts: width u1*W, start u2*(size-width), masked to 0.
    f = f.clone()
    T, C = f.shape
    for _ in range(sa["freqMasks"]):
        v = rng.random() * min(sa["freqMaskWidth"], C)
        s = rng.random() * (C - v)
        f[:, int(s):int(s + v)] = 0
    for _ in range(sa["timeMasks"]):
        v = rng.random() * min(sa["timeMaskWidth"], sa["maxTimeFraction"] * T)
        s = rng.random() * (T - v)
        f[int(s):int(s + v), :] = 0
    return f


def bucketed(lengths, batch, rng):
    perm = list(range(len(lengths)))
    rng.shuffle(perm)
    out = []
    w = batch * 50
    for s in range(0, len(perm), w):
        chunk = sorted(perm[s:s + w], key=lambda i: (lengths[i], i))
        out += [chunk[i:i + batch] for i in range(0, len(chunk), batch)]
    rng.shuffle(out)
    return out


def greedy(model, feats, batch=32):
    model.eval()
    out = [None] * len(feats)
    order = sorted(range(len(feats)), key=lambda i: feats[i].size(0))
    with torch.no_grad():
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            x, L = pad(feats, idx)
            lp, L2 = model(x, L)
            best = lp.argmax(-1)  # [T', B]
            for r, i in enumerate(idx):
                seq, prev = [], -1
                for u in best[:L2[r], r].tolist():
                    if u != prev and u != 0:
                        seq.append(u)
                    prev = u
                out[i] = seq
    model.train()
    return out


def main():
    cfg = json.load(open(sys.argv[1]))
    d = sys.argv[2]
    torch.manual_seed(cfg["seed"])
    rng = random.Random(cfg["seed"])
    mc = cfg["model"]
    train_f, train_y = read_set(d, "train", mc["inputSize"])
    valid_f, valid_y = read_set(d, "valid", mc["inputSize"])
    model = SpeechRecognizer(mc)
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    sa = cfg.get("specAugment")
    lengths = [f.size(0) for f in train_f]
    budget = cfg["minutes"] * 60
    start = time.time()
    steps = utts = 0
    valid_loss = float("nan")
    done = False
    while not done:
        for idx in bucketed(lengths, cfg["batch"], rng):
            feats = {i: (spec_augment(train_f[i], rng, sa) if sa else train_f[i]) for i in idx}
            x, L = pad(feats, idx)
            lp, L2 = model(x, L)
            ys = [train_y[i] for i in idx]
            loss = F.ctc_loss(lp, torch.cat(ys), L2, torch.tensor([len(y) for y in ys]), blank=0, reduction="mean",
                              zero_infinity=True)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
            steps += 1
            utts += len(idx)
            if time.time() - start >= budget:
                done = True
                break
        model.eval()
        with torch.no_grad():
            tot = 0.0
            for s in range(0, len(valid_f), 32):
                idx = list(range(s, min(s + 32, len(valid_f))))
                x, L = pad(valid_f, idx)
                lp, L2 = model(x, L)
                ys = [valid_y[i] for i in idx]
                tot += F.ctc_loss(lp, torch.cat(ys), L2, torch.tensor([len(y) for y in ys]), blank=0,
                                  reduction="mean", zero_infinity=True).item() * len(idx)
            valid_loss = tot / len(valid_f)
        model.train()
        sched.step(valid_loss)
    elapsed = time.time() - start
    for name in cfg["evalSets"]:
        f, _ = read_set(d, name, mc["inputSize"])
        json.dump(greedy(model, f), open(os.path.join(d, "hyp_" + name + ".json"), "w"))
    print(json.dumps({"steps": steps, "utterancesPerSecond": utts / elapsed, "validLoss": valid_loss,
                      "threads": torch.get_num_threads(), "seconds": elapsed}))


if __name__ == "__main__":
    main()
