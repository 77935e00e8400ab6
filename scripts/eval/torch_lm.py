#!/usr/bin/python3
"""PyTorch twin of recur's language model, for `npm run eval`'s same-wall-time comparison.

Reads the token ids recur prepared (int32 little-endian files) and a JSON config, trains
Embedding -> LSTM/GRU/RNN -> Dropout -> Linear with truncated BPTT exactly as recur's LmTask
does (same batchify layout, windows, Adam, grad-norm clipping, evaluation on 10 streams),
for the same number of minutes (or `steps` steps), and prints one JSON line with the
validation loss (and every step's training loss when `steps` is set). With `init_out` it also
writes its initial weights as safetensors, so recur can start from the very same point.
Usage: torch_lm.py CONFIG.json DATA_DIR
"""
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn

# The bench's 512^3 GEMM rate (the same window), printed next to a speed so a handicapped twin shows.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "bench", "peers"))
from torch_bench import gemm_rate  # noqa: E402


def batchify(ids, b):
    steps = len(ids) // b
    return torch.from_numpy(ids[: steps * b].astype(np.int64)).view(b, steps).t().contiguous()


class LM(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.encoder = nn.Embedding(c["vocabSize"], c["embedSize"])
        cls = {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[c["cell"]]
        self.rnn = cls(c["embedSize"], c["hiddenSize"], c["numLayers"], dropout=c["dropout"] if c["numLayers"] > 1 else 0)
        self.drop = nn.Dropout(c["dropout"])
        self.decoder = nn.Linear(c["hiddenSize"], c["vocabSize"])
        nn.init.uniform_(self.encoder.weight, -0.1, 0.1)
        nn.init.uniform_(self.decoder.weight, -0.1, 0.1)
        nn.init.zeros_(self.decoder.bias)

    def forward(self, x, h):
        out, h = self.rnn(self.drop(self.encoder(x)), h)
        return self.decoder(self.drop(out)).view(-1, self.decoder.out_features), h


def detach(h):
    return tuple(t.detach() for t in h) if isinstance(h, tuple) else (h.detach() if h is not None else None)


def evaluate(model, ids, bptt):
    model.eval()
    data = batchify(ids, 10)
    total, count, h = 0.0, 0, None
    with torch.no_grad():
        for i in range(0, data.size(0) - 1, bptt):
            t = min(bptt, data.size(0) - 1 - i)
            x, y = data[i : i + t], data[i + 1 : i + 1 + t]
            logits, h = model(x, h)
            total += nn.functional.cross_entropy(logits, y.reshape(-1), reduction="sum").item()
            count += y.numel()
    model.train()
    return total / count


def blas_loaded():
    """Which BLAS library this process actually mapped (scripts/torch-env.ts chooses it)."""
    with open("/proc/self/maps") as f:
        libs = sorted({line.split()[-1] for line in f if "blas" in line})
    return " ".join(libs) or "none found"


def save_safetensors(model, path):
    """Initial weights for the step-by-step parity check (scripts/eval/lm-parity.ts), no extra package."""
    header, blobs, off = {}, [], 0
    for name, t in model.state_dict().items():
        b = t.detach().contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(len(h).to_bytes(8, "little") + h + b"".join(blobs))


def make_step(cfg, model, opt, data):
    """One training step on the next bptt window (hidden state carried, detached; reset at the
    end of the data): returns the loss and the tokens it trained on."""
    bptt, state = cfg["bptt"], {"h": None, "i": 0}

    def train_step():
        if state["i"] >= data.size(0) - 1:
            state["i"], state["h"] = 0, None
        i = state["i"]
        t = min(bptt, data.size(0) - 1 - i)
        x, y = data[i : i + t], data[i + 1 : i + 1 + t]
        logits, h = model(x, state["h"])
        state["h"] = detach(h)
        loss = nn.functional.cross_entropy(logits, y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        value = loss.item()
        if cfg["clip"] > 0:
            nn.utils.clip_grad_norm_(model.parameters(), cfg["clip"])
        opt.step()
        state["i"] = i + bptt
        return value, y.numel()

    return train_step


def speed_window(cfg, train_step):
    """scripts/eval/lm-speed.ts: tokens/s over one continuous window of window_s seconds after
    warmup_steps steps; no evaluation."""
    gemm = gemm_rate(torch)
    for _ in range(cfg.get("warmup_steps", 8)):
        train_step()
    t0, steps, tokens = time.time(), 0, 0
    while time.time() - t0 < cfg["window_s"]:
        tokens += train_step()[1]
        steps += 1
    print(json.dumps({"steps": steps, "tokens_per_sec": tokens / (time.time() - t0), "gemm512": gemm,
                      "threads": torch.get_num_threads(), "blas": blas_loaded()}))


def main():
    cfg = json.load(open(sys.argv[1]))
    d = sys.argv[2]
    read = lambda n: np.fromfile(os.path.join(d, n + ".i32"), dtype="<i4")
    train_ids, valid_ids = read("train"), read("valid")
    torch.manual_seed(cfg.get("seed", 0))
    torch.set_num_threads(cfg.get("threads", 2))
    model = LM(cfg["model"])
    if cfg.get("init_out"):
        save_safetensors(model, cfg["init_out"])
        if cfg.get("init_only"):
            return
    opt = torch.optim.Adam(model.parameters(), lr=cfg["lr"])
    max_steps, losses = cfg.get("steps"), []
    data = batchify(train_ids, cfg["batch"])
    train_step = make_step(cfg, model, opt, data)
    if cfg.get("window_s"):
        return speed_window(cfg, train_step)
    budget = cfg["minutes"] * 60
    t0, step, tokens = time.time(), 0, 0
    while (step < max_steps) if max_steps else (time.time() - t0 < budget):
        value, n = train_step()
        losses.append(value)
        step, tokens = step + 1, tokens + n
    train_time = time.time() - t0
    vl = evaluate(model, valid_ids, cfg["bptt"])
    print(json.dumps({"steps": step, "tokens_per_sec": tokens / train_time, "valid_loss": vl,
                      "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "blas": blas_loaded(), **({"losses": losses} if max_steps else {})}))


if __name__ == "__main__":
    main()
