"""Train an exported recur model on many processes or machines with PyTorch DDP.

Written by `recur export torch RUN --out DIR` beside model.py, config.json and
weights.safetensors. Starts from those weights and trains on the same data files as the
recur command that made the run, encoded with the run's own tokenizer or vocabularies:

| run       | --data                                   | as                                   |
|-----------|------------------------------------------|--------------------------------------|
| lm        | a UTF-8 text file                        | recur train lm --corpus FILE         |
| classify  | a CSV/TSV file with a header row         | recur train classify --data FILE     |
| tag       | a CoNLL file (word first, tag last)      | recur train tag --data FILE          |
| translate | a source<TAB>target file                 | recur train translate --data FILE    |

LM: consecutive chunks of --bptt tokens from --batch parallel streams, state carried between
chunks. Other tasks: shuffled batches of --batch examples. Token cross-entropy (the CRF's
negative log-likelihood for a CRF tagger), Adam, gradient-norm clipping. Each process takes
its own share of the streams or examples. Rank 0 writes checkpoint.safetensors (recur's
parameter names) every --save-every steps and at the end; `recur import torch DIR --out RUN`
brings it back.

    torchrun --nproc_per_node 2 DIR/train_ddp.py --data text.txt --steps 1000
    torchrun --nnodes 4 --node_rank R --master_addr HOST --nproc_per_node 8 DIR/train_ddp.py ...

With Debian's torch 1.13 on Python 3.11, add `--redirects 2 --tee 2` to torchrun: that
version cannot parse the default of those options. CPU processes use the gloo backend, GPUs
nccl. Tokenizers: recur's char and word ones (word needs the `regex` module, Debian's
python3-regex, for recur's Unicode classes). Refused with a message: BPE tokenizers (not
ported), a classifier's lexicon feature, and recur's named data sets (give the file).
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


def stoi_of(vocab):
    return {t: i for i, t in enumerate(vocab["tokens"])}


def lookup_in(stoi, t, what):
    if t in stoi:
        return stoi[t]
    if "<unk>" not in stoi:
        raise SystemExit(f"train_ddp.py: {what} {t!r} is not in the vocabulary, which has no <unk>")
    return stoi["<unk>"]


def lm_data(config, text, a, rank, world):
    """Streams [steps, batch/world] of the token ids, this rank's columns."""
    ids = torch.from_numpy(encode(config["tokenizer"], text))
    if a.batch % world:
        raise SystemExit(f"--batch {a.batch} must be divisible by the {world} processes")
    per = a.batch // world
    n = len(ids) // a.batch
    if n < 2:
        raise SystemExit(f"{a.data}: {len(ids)} tokens are too few for {a.batch} streams")
    streams = ids[: n * a.batch].view(a.batch, n).t()[:, rank * per:(rank + 1) * per].contiguous()
    pos = 0
    while True:
        if pos + 1 >= n:
            pos = 0
            yield None  # a new pass: the carried state restarts
        k = min(a.bptt, n - 1 - pos)
        yield {"input": streams[pos:pos + k], "target": streams[pos + 1:pos + 1 + k]}
        pos += k


def pad(rows, value=0):
    T = max(len(r) for r in rows)
    return torch.tensor([list(r) + [value] * (T - len(r)) for r in rows], dtype=torch.long)


def classify_examples(config, text):
    """(ids, label) per row of a CSV/TSV file with a header, as recur's tabular reader takes them."""
    import csv
    import io
    if config["model"].get("lexicon", "none") not in (None, "none"):
        raise SystemExit("train_ddp.py: the classifier's lexicon feature is not ported to Python; train a run without --lexicon")
    data = config["data"]
    delim = "\t" if "\t" in text.split("\n", 1)[0] else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delim))
    header = [h.strip() for h in rows[0]]
    col = lambda c, default: (header.index(c) if isinstance(c, str) else c) if c is not None else (header.index(default) if default in header else None)
    tcol, lcol = col(data.get("textColumn"), "text"), col(data.get("labelColumn"), "label")
    tcol = 0 if tcol is None else tcol
    lcol = len(header) - 1 if lcol is None else lcol
    labels = {l: i for i, l in enumerate(config["labels"])}
    tok, stoi = config["tokenizer"], stoi_of(config["tokenizer"]["vocab"])
    out = []
    for r in rows[1:]:
        if not any(f.strip() for f in r):
            continue
        ids = encode(tok, r[tcol]).tolist() or [stoi["<unk>"]]
        if config.get("maxLength", 0) > 0:
            ids = ids[: config["maxLength"]]
        if r[lcol].strip() not in labels:
            raise SystemExit(f"train_ddp.py: unknown label {r[lcol].strip()!r} (the model knows {list(labels)})")
        out.append((ids, labels[r[lcol].strip()]))
    return out


def classify_batch(ex):
    return {"ids": pad([e[0] for e in ex]), "lengths": torch.tensor([len(e[0]) for e in ex]), "labels": torch.tensor([e[1] for e in ex])}


def tag_examples(config, text):
    """(words, tag ids) per sentence of a CoNLL file (recur's src/data/conll.ts rules)."""
    tag_col = config["data"].get("tagColumn", -1)
    tags = {t: i for i, t in enumerate(config["model"]["tags"])}
    out, words, ts = [], [], []
    for n, raw in enumerate(text.split("\n") + [""], 1):
        line = raw.rstrip("\r")
        if line.strip() == "" or line.startswith("-DOCSTART-"):
            if words:
                out.append((words, ts))
            words, ts = [], []
            continue
        cols = [c.strip() for c in line.split("\t")] if "\t" in line else line.strip().split()
        t = cols[tag_col]
        if t not in tags:
            raise SystemExit(f"train_ddp.py: line {n}: tag {t!r} is not one of the model's {len(tags)} tags")
        words.append(cols[0])
        ts.append(tags[t])
    return out


def tag_batch(config, ex):
    import regex
    wstoi, cstoi = stoi_of(config["words"]), stoi_of(config["chars"])
    norm = lambda w: regex.sub(r"\p{Nd}", "0", w.lower())
    uniq, slot = {}, []
    for words, _ in ex:
        slot.append([uniq.setdefault(w, len(uniq)) for w in words])
    chars = [[lookup_in(cstoi, ch, "character") for ch in w[:30]] for w in uniq]
    return {
        "word_ids": pad([[lookup_in(wstoi, norm(w), "word") for w in words] for words, _ in ex]),
        "lengths": torch.tensor([len(words) for words, _ in ex]),
        "tags": pad([t for _, t in ex], -1),
        "chars": pad(chars), "char_lengths": torch.tensor([max(1, len(c)) for c in chars]), "word_slot": pad(slot),
    }


def translate_examples(config, text):
    """(source ids, target ids) per source<TAB>target line; `reverse` runs swap the sides."""
    out = []
    max_len = config.get("train", {}).get("maxLen")
    for raw in text.split("\n"):
        line = raw.rstrip("\r")
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        src, tgt = cols[0].strip(), cols[1].strip()
        if config.get("reverse"):
            src, tgt = tgt, src
        s, t = encode(config["srcTokenizer"], src).tolist(), encode(config["tgtTokenizer"], tgt).tolist()
        if s and t and (not max_len or (len(s) <= max_len and len(t) + 1 <= max_len)):
            out.append((s, t))
    return out


def translate_batch(config, ex):
    stoi = stoi_of(config["tgtTokenizer"]["vocab"])
    bos, eos, tpad = stoi["<bos>"], stoi["<eos>"], config["model"]["tgtPadId"]
    return {
        "src": pad([s for s, _ in ex], config["model"]["srcPadId"]), "src_lengths": torch.tensor([len(s) for s, _ in ex]),
        "tgt_in": pad([[bos] + t for _, t in ex], tpad).t().contiguous(), "tgt_out": pad([t + [eos] for _, t in ex], tpad).t().contiguous(),
    }


def example_batches(examples, make, a, rank, world):
    """Shuffled batches of --batch examples over all processes; this rank's share of each."""
    if len(examples) < world:
        raise SystemExit(f"{a.data}: {len(examples)} examples are too few for {world} processes")
    g = torch.Generator().manual_seed(a.seed)
    per = max(1, a.batch // world)
    while True:
        order = torch.randperm(len(examples), generator=g).tolist()
        mine = order[rank::world]
        for i in range(0, len(mine) - per + 1, per):
            yield make([examples[j] for j in mine[i:i + per]])


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", "--corpus", dest="data", required=True, help="training data file, in the format of the run's task")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch", type=int, default=32, help="streams (lm) or examples per step, over all processes")
    p.add_argument("--bptt", type=int, default=64, help="lm: tokens per chunk")
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
    task = config["task"]
    if not os.path.isfile(a.data):
        raise SystemExit(f"train_ddp.py: --data {a.data!r} is not a file (recur's named data sets are not available here: give the file)")
    with open(a.data, encoding="utf-8") as f:
        text = f.read()
    if task == "lm":
        batches = lm_data(config, text, a, rank, world)
    elif task == "classify":
        batches = example_batches(classify_examples(config, text), classify_batch, a, rank, world)
    elif task == "tag":
        batches = example_batches(tag_examples(config, text), lambda ex: tag_batch(config, ex), a, rank, world)
    elif task == "translate":
        batches = example_batches(translate_examples(config, text), lambda ex: translate_batch(config, ex), a, rank, world)
    else:
        raise SystemExit(f"train_ddp.py: unknown task {task!r}")

    m = recur_model.load(a.dir).to(device).train()
    ddp = DistributedDataParallel(m)
    opt = torch.optim.Adam(m.parameters(), lr=a.lr)
    out = a.out or os.path.join(a.dir, "checkpoint.safetensors")
    state, t0, step = None, time.time(), 0
    while step < a.steps:
        batch = next(batches)
        if batch is None:
            state = None
            continue
        step += 1
        batch = {k: v.to(device) for k, v in batch.items()}
        if task == "lm":
            if state is not None:
                state = tuple(s.detach() for s in state) if isinstance(state, tuple) else state.detach()
            logits, state = ddp(batch["input"], state)
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), batch["target"].reshape(-1))
        else:
            loss = loss_through(ddp, m, task, batch)
        opt.zero_grad()
        loss.backward()
        if a.clip > 0:
            torch.nn.utils.clip_grad_norm_(m.parameters(), a.clip)
        opt.step()
        if rank == 0 and (step % 10 == 0 or step == a.steps):
            print(json.dumps({"step": step, "loss": round(loss.item(), 5), "seconds": round(time.time() - t0, 1)}), flush=True)
        if rank == 0 and (step % a.save_every == 0 or step == a.steps):
            recur_model.save_safetensors(out, m.state_dict(), {"format": "recur-torch-export-1", "task": task, "step": step})
    dist.barrier()
    dist.destroy_process_group()


def loss_through(ddp, m, task, b):
    """The task's loss with the forward pass through the DDP wrapper (so gradients are all-reduced)."""
    if task == "classify":
        return torch.nn.functional.cross_entropy(ddp(b["ids"], b["lengths"]), b["labels"])
    if task == "tag":
        em = ddp(b["word_ids"], b["lengths"], b["chars"], b["char_lengths"], b["word_slot"])
        return m.nll(em, b["tags"], b["lengths"]) / b["lengths"].sum()
    logits = ddp(b["src"], b["src_lengths"], b["tgt_in"])
    return torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), b["tgt_out"].reshape(-1), ignore_index=m.c["tgtPadId"])


if __name__ == "__main__":
    main()
