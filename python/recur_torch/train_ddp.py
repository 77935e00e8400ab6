"""Train an exported recur model on many processes or machines with PyTorch DDP.

Written by `recur export torch RUN --out DIR` beside model.py, config.json and
weights.safetensors. Starts from those weights and trains on a text file, as
`recur train lm --corpus FILE` does (the run's own tokenizer; consecutive chunks of
--bptt tokens from --batch parallel streams, state carried between chunks, token
cross-entropy, Adam, gradient-norm clipping). Each process takes its own share of the
streams. Rank 0 writes checkpoint.safetensors (recur's parameter names) every
--save-every steps and at the end; `recur import torch DIR --out RUN` brings it back.

    torchrun --nproc_per_node 2 DIR/train_ddp.py --corpus text.txt --steps 1000
    torchrun --nnodes 4 --node_rank R --master_addr HOST --nproc_per_node 8 DIR/train_ddp.py ...

With Debian's torch 1.13 on Python 3.11, add `--redirects 2 --tee 2` to torchrun: that
version cannot parse the default of those options. CPU processes use the gloo backend, GPUs nccl. Tokenizers: recur's char and word ones
(word needs the `regex` module, Debian's python3-regex, for recur's Unicode classes); a
run with a BPE tokenizer or another task is refused with a message.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model as recur_model  # noqa: E402


def word_pattern(specials, line_breaks):
    """recur's src/text/word-tokenizer.ts pattern: specials, line breaks, numbers, words, punctuation runs."""
    import regex
    alts = []
    lits = sorted([s for s in specials if s], key=len, reverse=True)
    if lits:
        alts.append("(?P<sp>" + "|".join(regex.escape(s) for s in lits) + ")")
    if line_breaks == "eos":
        alts.append(r"(?P<nl>\r?\n)")
    alts += [r"\p{N}+(?:[.,:]\p{N}+)+", r"[\p{L}\p{M}\p{N}_]+(?:['’\-][\p{L}\p{M}\p{N}_]+)*", r"(?P<p>[^\s\p{L}\p{M}\p{N}_])(?P=p)*"]
    return regex.compile("|".join(alts))


def encode(tok, text):
    """Token ids of text with the run's tokenizer (its JSON from config.json)."""
    vocab = tok.get("vocab", {})
    stoi = {t: i for i, t in enumerate(vocab.get("tokens", []))}
    unk = stoi.get("<unk>")

    def lookup(t):
        if t in stoi:
            return stoi[t]
        if unk is None:
            raise SystemExit(f"train_ddp.py: token {t!r} is not in the vocabulary, which has no <unk>")
        return unk

    if tok["kind"] == "char":
        return np.array([lookup(ch) for ch in text], dtype=np.int64)
    if tok["kind"] == "word":
        out = []
        for m in word_pattern(vocab["specials"], tok["lineBreaks"]).finditer(text):
            if m.groupdict().get("nl") is not None:
                out.append(lookup("<eos>"))
            elif m.groupdict().get("sp") is not None:
                out.append(lookup(m.group(0)))
            else:
                out.append(lookup(m.group(0).lower() if tok["lowercase"] else m.group(0)))
        return np.array(out, dtype=np.int64)
    raise SystemExit(f"train_ddp.py: recur's {tok['kind']} tokenizer is not ported to Python; train a char or word run")


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--corpus", required=True, help="training text file (UTF-8)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch", type=int, default=32, help="parallel streams, over all processes")
    p.add_argument("--bptt", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--save-every", type=int, default=200)
    p.add_argument("--dir", default=here, help="the exported folder (config.json, weights.safetensors)")
    p.add_argument("--out", default=None, help="checkpoint path (default DIR/checkpoint.safetensors)")
    a = p.parse_args()

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if backend == "nccl" else torch.device("cpu")
    torch.manual_seed(a.seed)

    with open(os.path.join(a.dir, "config.json")) as f:
        config = json.load(f)
    if config["task"] != "lm":
        raise SystemExit(f"train_ddp.py trains language-model runs; this is a {config['task']!r} run")
    m = recur_model.load(a.dir).to(device).train()
    ddp = DistributedDataParallel(m)
    opt = torch.optim.Adam(m.parameters(), lr=a.lr)

    with open(a.corpus, encoding="utf-8") as f:
        ids = torch.from_numpy(encode(config["tokenizer"], f.read()))
    if a.batch % world:
        raise SystemExit(f"--batch {a.batch} must be divisible by the {world} processes")
    per = a.batch // world
    steps_per_stream = len(ids) // a.batch
    if steps_per_stream < 2:
        raise SystemExit(f"{a.corpus}: {len(ids)} tokens are too few for {a.batch} streams")
    streams = ids[: steps_per_stream * a.batch].view(a.batch, steps_per_stream).t()[:, rank * per:(rank + 1) * per].contiguous().to(device)

    out = a.out or os.path.join(a.dir, "checkpoint.safetensors")
    state, pos, t0 = None, 0, time.time()
    for step in range(1, a.steps + 1):
        if pos + 1 >= steps_per_stream:
            state, pos = None, 0
        n = min(a.bptt, steps_per_stream - 1 - pos)
        x, y = streams[pos:pos + n], streams[pos + 1:pos + 1 + n]
        pos += n
        if state is not None:
            state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
        logits, state = ddp(x, state)
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(m.parameters(), a.clip)
        opt.step()
        if rank == 0 and (step % 10 == 0 or step == a.steps):
            print(json.dumps({"step": step, "loss": round(loss.item(), 5), "seconds": round(time.time() - t0, 1)}), flush=True)
        if rank == 0 and (step % a.save_every == 0 or step == a.steps):
            recur_model.save_safetensors(out, m.state_dict(), {"format": "recur-torch-export-1", "task": "lm", "step": step})
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
