#!/usr/bin/python3
"""PyTorch twin of recur's piano-roll model (src/tasks/music/model.ts), for `npm run eval:music`.

The same network (RNN/LSTM/GRU over the previous frame, a Bernoulli or MADE output over the 88
keys, the same parameter names), the same training as PianoRollTask (every piece cut into
chunks of `bptt` frames, shuffled each epoch, the mean NLL per frame summed over keys, Adam,
grad-norm clipping, per-epoch transposition when `augment` is set, the LR halved after two epochs without a better validation loss) for the
same wall time. Of the epoch-end weights and the final ones it keeps those with the lowest
validation NLL per frame (as recur's side of the eval takes `best` or `last`), and reports their
validation and test NLL per frame. With `init_out` it writes its initial weights as safetensors
so recur starts from the very same point.

Data: DIR/{train,valid,test}.u8 (the pieces' frames end to end, 88 bytes a frame) and
DIR/{train,valid,test}.frames.i32 (frames per piece).
Usage: torch_music.py CONFIG.json DATA_DIR
"""
import copy
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from torch_lm import save_safetensors  # noqa: E402 - the same initial-weights writer as the LM twin

KEYS = 88


def made_masks(hm):
    m = torch.arange(hm) % (KEYS - 1)
    keys = torch.arange(KEYS)
    w = (keys[None, :] <= m[:, None]).float()  # [Hm, 88]: unit u sees keys j <= m(u)
    v = (m[None, :] < keys[:, None]).float()  # [88, Hm]: key k sees units with m(u) < k
    d = (keys[None, :] < keys[:, None]).float()  # [88, 88]: key k sees keys j < k
    return w, v, d


class PianoRollNet(nn.Module):
    def __init__(self, c):
        super().__init__()
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[c["cell"]]
        self.rnn = cls(KEYS, c["hiddenSize"], c["numLayers"], dropout=c["dropout"] if c["numLayers"] > 1 else 0)
        self.drop = nn.Dropout(c["dropout"])
        self.out = nn.Linear(c["hiddenSize"], KEYS)
        self.made = c["output"] == "made"
        if self.made:
            hm = c["madeHidden"]
            self.cond_hidden = nn.Linear(c["hiddenSize"], hm)
            self.in_hidden = nn.Parameter(torch.empty(hm, KEYS).uniform_(-KEYS ** -0.5, KEYS ** -0.5))
            self.hidden_out = nn.Parameter(torch.empty(KEYS, hm).uniform_(-hm ** -0.5, hm ** -0.5))
            self.direct = nn.Parameter(torch.empty(KEYS, KEYS).uniform_(-KEYS ** -0.5, KEYS ** -0.5))
            for name, t in zip(("mask_w", "mask_v", "mask_d"), made_masks(hm)):
                self.register_buffer(name, t, persistent=False)

    def forward(self, prev, frames, lengths):
        """prev, frames [T, B, 88]; lengths [B] -> logits [T*B, 88] (zeros past each length)."""
        T, B, _ = prev.shape
        packed = nn.utils.rnn.pack_padded_sequence(prev, lengths, enforce_sorted=False)
        out, _ = self.rnn(packed)
        out, _ = nn.utils.rnn.pad_packed_sequence(out, total_length=T)
        h = self.drop(out).reshape(T * B, -1)
        logits = self.out(h)
        if self.made:
            v = frames.reshape(T * B, KEYS)
            a = torch.sigmoid(self.cond_hidden(h) + v @ (self.in_hidden * self.mask_w).t())
            logits = logits + a @ (self.hidden_out * self.mask_v).t() + v @ (self.direct * self.mask_d).t()
        return logits


def transpose(r, s):
    """r [n, 88] moved s keys up (down if negative); notes pushed off the keyboard drop (as transposeRoll)."""
    out = torch.zeros_like(r)
    if s >= 0:
        out[:, s:] = r[:, : KEYS - s]
    else:
        out[:, : KEYS + s] = r[:, -s:]
    return out


def batch(rolls, starts, lens):
    """Time-major previous frames, target frames, lengths and a [T*B, 1] mask (as rollBatch)."""
    B, T = len(rolls), max(lens)
    prev = torch.zeros(T, B, KEYS)
    frames = torch.zeros(T, B, KEYS)
    mask = torch.zeros(T, B)
    for b, (r, s, n) in enumerate(zip(rolls, starts, lens)):
        frames[:n, b] = r[s : s + n]
        lo = max(s - 1, 0)
        seg = r[lo : s + n - 1]
        prev[n - seg.shape[0] : n, b] = seg
        mask[:n, b] = 1
    return prev, frames, torch.tensor(lens), mask.reshape(T * B, 1)


def nll_sum(model, prev, frames, lengths, mask):
    logits = model(prev, frames, lengths)
    return F.binary_cross_entropy_with_logits(logits, frames.reshape(-1, KEYS), weight=mask, reduction="sum")


def evaluate(model, rolls, bs=8):
    model.eval()
    total, count = 0.0, 0
    order = sorted(range(len(rolls)), key=lambda i: rolls[i].shape[0])
    with torch.no_grad():
        for i in range(0, len(order), bs):
            g = [rolls[j] for j in order[i : i + bs]]
            prev, frames, lengths, mask = batch(g, [0] * len(g), [r.shape[0] for r in g])
            total += nll_sum(model, prev, frames, lengths, mask).item()
            count += int(mask.sum().item())
    model.train()
    return total / count


def read_rolls(d, split):
    data = np.fromfile(os.path.join(d, split + ".u8"), dtype=np.uint8).reshape(-1, KEYS)
    counts = np.fromfile(os.path.join(d, split + ".frames.i32"), dtype="<i4")
    out, o = [], 0
    for n in counts:
        out.append(torch.from_numpy(data[o : o + n].astype(np.float32)))
        o += n
    return out


def main():
    cfg = json.load(open(sys.argv[1]))
    d = sys.argv[2]
    torch.manual_seed(cfg.get("seed", 0))
    torch.set_num_threads(cfg.get("threads", 2))
    model = PianoRollNet(cfg["model"])
    if cfg.get("init_out"):
        save_safetensors(model, cfg["init_out"])
        if cfg.get("init_only"):
            return
    train, valid = read_rolls(d, "train"), read_rolls(d, "valid")
    chunks = [(p, s, min(cfg["bptt"], r.shape[0] - s)) for p, r in enumerate(train) for s in range(0, r.shape[0], cfg["bptt"])]
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    sched = torch.optim.lr_scheduler.ReduceLROnPlateau(opt, factor=0.5, patience=1)
    max_steps, budget = cfg.get("steps"), cfg["minutes"] * 60
    t0, step, frames_seen, bs = time.time(), 0, 0, cfg["batch"]
    best_valid, best_state = float("inf"), None
    done = lambda: (step >= max_steps) if max_steps else (time.time() - t0 >= budget)
    while not done():
        order = torch.randperm(len(chunks)).tolist()
        # As PianoRollTask: every piece transposed by its own draw from -6..6 semitones each epoch.
        rolls = [transpose(r, int(s)) for r, s in zip(train, torch.randint(-6, 7, (len(train),)))] if cfg.get("augment") else train
        for i in range(0, len(order), bs):
            if done():
                break
            picked = [chunks[j] for j in order[i : i + bs]]
            prev, frames, lengths, mask = batch([rolls[p] for p, _, _ in picked], [s for _, s, _ in picked], [n for _, _, n in picked])
            count = int(mask.sum().item())
            loss = nll_sum(model, prev, frames, lengths, mask) / count
            opt.zero_grad()
            loss.backward()
            if cfg["clip"] > 0:
                nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
            opt.step()
            step, frames_seen = step + 1, frames_seen + count
        else:
            v = evaluate(model, valid)
            sched.step(v)
            if v < best_valid:
                best_valid, best_state = v, copy.deepcopy(model.state_dict())
    train_time = time.time() - t0
    final_valid, checkpoint = evaluate(model, valid), "last"
    if best_state is not None and best_valid < final_valid:
        model.load_state_dict(best_state)
        checkpoint = "best"
    print(json.dumps({"steps": step, "frames_per_sec": frames_seen / train_time, "checkpoint": checkpoint,
                      "valid_nll_per_frame": min(best_valid, final_valid), "test_nll_per_frame": evaluate(model, read_rolls(d, "test")),
                      "torch": torch.__version__, "threads": torch.get_num_threads()}))


if __name__ == "__main__":
    main()
