r"""Train an exported recur model on many processes or machines with PyTorch DDP.

Written by `recur export torch RUN --out DIR` beside model.py, config.json and
weights.safetensors. Starts from those weights and trains on the same data files as the
recur command that made the run, encoded with the run's own tokenizer or vocabularies:

| run       | --data                                   | as                                   |
|-----------|------------------------------------------|--------------------------------------|
| lm        | a UTF-8 text file                        | recur train lm --corpus FILE         |
| classify  | a CSV/TSV/JSONL file (CSV/TSV: a header) | recur train classify --data FILE     |
| tag       | a CoNLL file (word first, tag last)      | recur train tag --data FILE          |
| translate | a source<TAB>target file                 | recur train translate --data FILE    |

Without --data it reads DIR/data/train.*, which `recur export torch RUN --out DIR --with-data`
writes from the run's own data (recur's named data sets too, split as the run split them), and
at the end rank 0 prints the loss on DIR/data/valid.* (--valid FILE names another file).
Files are read as recur reads them: a BOM dropped, \r\n and \r as line breaks (U+0085 and
U+2028 are not), JavaScript's whitespace for trimming and in the tokenizers' patterns.

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
nccl. Tokenizers: recur's char, word and byte-level BPE ones (word and BPE need the `regex`
module, Debian's python3-regex, for recur's Unicode classes). A classifier's lexicon feature
reads DIR/lexicon.json (written by the export).
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


# JavaScript's \s (ECMAScript WhiteSpace and LineTerminator), which recur's patterns and trim()
# use. Python's \s and str.strip() differ: they also take U+001C-U+001F and U+0085, and not U+FEFF.
JS_SPACE = "\t\n\x0b\x0c\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
JS_SPACE_CHARS = "\t\n\x0b\x0c\r \u00a0\u1680" + "".join(map(chr, range(0x2000, 0x200b))) + "\u2028\u2029\u202f\u205f\u3000\ufeff"


def js_trim(s):
    """JavaScript's String.prototype.trim."""
    return s.strip(JS_SPACE_CHARS)


def read_text(path):
    r"""A UTF-8 file as recur's src/data/text-file.ts readTextFile gives it: BOM dropped, \r\n and lone \r as \n.

    Only \r counts as a line break besides \n; U+0085, U+2028 and the other breaks that
    str.splitlines knows stay characters of their line, as in recur.
    """
    with open(path, encoding="utf-8", newline="") as f:
        text = f.read()
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def read_raw(path):
    """A UTF-8 file as is (recur's src/data/pairs.ts reads pairs without normalizing)."""
    with open(path, encoding="utf-8", newline="") as f:
        return f.read()


def word_pattern(specials, line_breaks):
    """recur's src/text/word-tokenizer.ts pattern: specials, line breaks, numbers, words, punctuation runs."""
    import regex
    alts = []
    lits = sorted([s for s in specials if s], key=len, reverse=True)
    if lits:
        alts.append("(?P<sp>" + "|".join(regex.escape(s) for s in lits) + ")")
    if line_breaks == "eos":
        alts.append(r"(?P<nl>\r?\n)")
    alts += [r"\p{N}+(?:[.,:]\p{N}+)+", r"[\p{L}\p{M}\p{N}_]+(?:['’\-][\p{L}\p{M}\p{N}_]+)*", "(?P<p>[^" + JS_SPACE + r"\p{L}\p{M}\p{N}_])(?P=p)*"]
    return regex.compile("|".join(alts))


def word_tokens(tok, text):
    """The word tokenizer's tokens (lower-cased when it lower-cases; "<eos>" for a kept line break)."""
    out = []
    for m in word_pattern(tok["vocab"]["specials"], tok["lineBreaks"]).finditer(text):
        if m.groupdict().get("nl") is not None:
            out.append("<eos>")
        elif m.groupdict().get("sp") is not None:
            out.append(m.group(0))
        else:
            out.append(m.group(0).lower() if tok["lowercase"] else m.group(0))
    return out


class Bpe:
    """recur's src/text/bpe-tokenizer.ts: byte-level BPE over the GPT-2 pre-tokenizer of src/text/bpe-train.ts."""

    def __init__(self, tok):
        import regex
        m = tok["merges"]
        self.ranks = {(m[2 * r], m[2 * r + 1]): r for r in range(len(m) // 2)}
        S = JS_SPACE
        self.pattern = regex.compile(
            r"'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^" + S + r"\p{L}\p{N}]+|[" + S + "]+(?![^" + S + "])|[" + S + "]+")
        self.cache = {}

    def piece(self, ids):
        """Merges lowest rank first; a rank's pair is unique and its merges go left to right."""
        while len(ids) > 1:
            r = min((self.ranks.get(p, 1 << 30) for p in zip(ids, ids[1:])))
            if r == 1 << 30:
                break
            out, i = [], 0
            while i < len(ids):
                if i + 1 < len(ids) and self.ranks.get((ids[i], ids[i + 1])) == r:
                    out.append(256 + r)
                    i += 2
                else:
                    out.append(ids[i])
                    i += 1
            ids = out
        return ids

    def encode(self, text):
        out = []
        for p in self.pattern.findall(text):
            if p not in self.cache:
                self.cache[p] = self.piece(list(p.encode("utf-8")))
            out += self.cache[p]
        return out


_bpe = {}


def encode(tok, text):
    """Token ids of text with the run's tokenizer (its JSON from config.json)."""
    if tok["kind"] == "bpe":
        key = id(tok)
        if key not in _bpe:
            _bpe[key] = Bpe(tok)
        return np.array(_bpe[key].encode(text), dtype=np.int64)
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
        return np.array([lookup(t) for t in word_tokens(tok, text)], dtype=np.int64)
    raise SystemExit(f"train_ddp.py: unknown tokenizer kind {tok['kind']!r}")


def special_id(tok, name):
    """The id of a special token (<pad>, <bos>, <eos>) in any of recur's tokenizers."""
    if tok["kind"] == "bpe":
        return 256 + len(tok["merges"]) // 2 + tok["specials"].index(name)
    return tok["vocab"]["tokens"].index(name)


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


def load_lexicon(config, directory):
    """The classifier's lexicon (lexicon.json, written by `recur export torch`), or None."""
    name = config["model"].get("lexicon", "none")
    if name in (None, "none"):
        return None
    path = os.path.join(directory, "lexicon.json")
    if not os.path.isfile(path):
        raise SystemExit(f"train_ddp.py: the classifier uses the {name!r} lexicon but {path} is missing (export the run again with recur export torch)")
    with open(path, encoding="utf-8") as f:
        lex = json.load(f)
    return {"valence": lex["valence"], "negators": set(lex["negators"])}


def lexicon_features(tokens, lex):
    """recur's src/tasks/classify/lexicon.ts: valence/5 per token, sign-flipped after a negator."""
    out = []
    for i, t in enumerate(tokens):
        v = float(lex["valence"].get(t, 0))
        out.append((-v if i > 0 and tokens[i - 1] in lex["negators"] else v) / 5)
    return out


def labelled_rows(text, path, data):
    """(text, label) records of a CSV, TSV or JSONL file, as recur's src/data/tabular.ts reads them."""
    import csv
    import io
    lines = text.split("\n")
    first = next((l for l in lines if js_trim(l)), "")
    if path.lower().endswith((".jsonl", ".ndjson")) or first.lstrip(JS_SPACE_CHARS).startswith("{"):
        key = lambda c, default: default if data.get(c) is None else str(data[c])
        tk, lk = key("textColumn", "text"), key("labelColumn", "label")
        out = []
        for l in lines:
            if js_trim(l):
                rec = json.loads(l)
                out.append((rec[tk], rec[lk] if isinstance(rec[lk], str) else json.dumps(rec[lk])))
        return out
    tsv = path.lower().endswith((".tsv", ".tab")) or (not path.lower().endswith(".csv") and "\t" in first)
    # TSV splits on every tab (no quoting), as recur does.
    rows = list(csv.reader(io.StringIO(text), delimiter="\t" if tsv else ",", quoting=csv.QUOTE_NONE if tsv else csv.QUOTE_MINIMAL))
    header = [js_trim(h) for h in rows[0]]
    col = lambda c, default: (header.index(c) if isinstance(c, str) else c) if c is not None else (header.index(default) if default in header else None)
    tcol, lcol = col(data.get("textColumn"), "text"), col(data.get("labelColumn"), "label")
    tcol = 0 if tcol is None else tcol
    lcol = len(header) - 1 if lcol is None else lcol
    return [(r[tcol], r[lcol]) for r in rows[1:] if any(js_trim(f) for f in r)]


def classify_examples(config, text, path, lex):
    """(ids, label, lexicon features or None) per labelled text."""
    labels = {l: i for i, l in enumerate(config["labels"])}
    tok, stoi = config["tokenizer"], stoi_of(config["tokenizer"]["vocab"])
    n = config.get("maxLength", 0)
    out = []
    for t, label in labelled_rows(text, path, config["data"]):
        ids = encode(tok, t).tolist() or [stoi["<unk>"]]
        feats = None
        if lex is not None:
            feats = lexicon_features(word_tokens(tok, t), lex) or [0.0]
        if n > 0:
            ids, feats = ids[:n], feats and feats[:n]
        if js_trim(label) not in labels:
            raise SystemExit(f"train_ddp.py: unknown label {js_trim(label)!r} (the model knows {list(labels)})")
        out.append((ids, labels[js_trim(label)], feats))
    return out


def classify_batch(ex):
    b = {"ids": pad([e[0] for e in ex]), "lengths": torch.tensor([len(e[0]) for e in ex]), "labels": torch.tensor([e[1] for e in ex])}
    if ex[0][2] is not None:
        T = b["ids"].shape[1]
        b["features"] = torch.tensor([e[2] + [0.0] * (T - len(e[2])) for e in ex], dtype=torch.float32)
    return b


def tag_examples(config, text):
    """(words, tag ids) per sentence of a CoNLL file (recur's src/data/conll.ts rules)."""
    tag_col = config["data"].get("tagColumn", -1)
    tags = {t: i for i, t in enumerate(config["model"]["tags"])}
    out, words, ts = [], [], []
    for n, raw in enumerate(text.split("\n") + [""], 1):
        line = raw[:-1] if raw.endswith("\r") else raw
        if js_trim(line) == "" or line.startswith("-DOCSTART-"):
            if words:
                out.append((words, ts))
            words, ts = [], []
            continue
        cols = [js_trim(c) for c in line.split("\t")] if "\t" in line else [c for c in js_trim(line).split(" ") if c]
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
        line = raw[:-1] if raw.endswith("\r") else raw
        if not js_trim(line) or line.startswith("#"):
            continue
        cols = line.split("\t")
        src, tgt = js_trim(cols[0]), js_trim(cols[1])
        if config.get("reverse"):
            src, tgt = tgt, src
        s, t = encode(config["srcTokenizer"], src).tolist(), encode(config["tgtTokenizer"], tgt).tolist()
        if s and t and (not max_len or (len(s) <= max_len and len(t) + 1 <= max_len)):
            out.append((s, t))
    return out


def translate_batch(config, ex):
    tok = config["tgtTokenizer"]
    bos, eos, tpad = special_id(tok, "<bos>"), special_id(tok, "<eos>"), config["model"]["tgtPadId"]
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


def exported_data(directory, split="train"):
    """DIR/data/train.* (or valid.*) as `recur export torch RUN --out DIR --with-data` writes it; None for a missing valid.*."""
    d = os.path.join(directory, "data")
    found = sorted(f for f in os.listdir(d) if f.startswith(split + ".")) if os.path.isdir(d) else []
    if not found and split == "train":
        raise SystemExit(f"train_ddp.py: give --data FILE (no {d}/train.*; `recur export torch RUN --out DIR --with-data` writes the run's data there)")
    return os.path.join(d, found[0]) if found else None


def read_data(task, path):
    return read_raw(path) if task == "translate" else read_text(path)


def task_examples(config, task, text, path, directory):
    """Examples of a classify, tag or translate data file, and the function that batches them."""
    if task == "classify":
        return classify_examples(config, text, path, load_lexicon(config, directory)), classify_batch
    if task == "tag":
        return tag_examples(config, text), lambda ex: tag_batch(config, ex)
    if task == "translate":
        return translate_examples(config, text), lambda ex: translate_batch(config, ex)
    raise SystemExit(f"train_ddp.py: unknown task {task!r}")


def validation_loss(m, config, task, path, a, device):
    """The model's mean loss on a held-out file in eval mode: per token (lm, one stream with the
    state carried; tag; translate) or per example (classify)."""
    text = read_data(task, path)
    total, count = 0.0, 0
    m.eval()
    with torch.no_grad():
        if task == "lm":
            ids = torch.from_numpy(encode(config["tokenizer"], text)).to(device)
            if len(ids) < 2:
                raise SystemExit(f"train_ddp.py: --valid {path}: {len(ids)} tokens are too few")
            state = None
            for i in range(0, len(ids) - 1, 1024):
                x, y = ids[i:min(i + 1024, len(ids) - 1)], ids[i + 1:i + 1025]
                logits, state = m(x.view(-1, 1), state)
                total += torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), y, reduction="sum").item()
            count = len(ids) - 1
        else:
            examples, make = task_examples(config, task, text, path, a.dir)
            for i in range(0, len(examples), a.batch):
                b = {k: v.to(device) for k, v in make(examples[i:i + a.batch]).items()}
                s, n = loss_through(m, m, task, b, reduction="sum")
                total, count = total + s.item(), count + int(n)
    m.train()
    return total / count


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--data", "--corpus", dest="data", default=None, help="training data file, in the format of the run's task (default: DIR/data/train.*, written by --with-data)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch", type=int, default=32, help="streams (lm) or examples per step, over all processes")
    p.add_argument("--bptt", type=int, default=64, help="lm: tokens per chunk")
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--clip", type=float, default=0.25)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--save-every", type=int, default=200)
    p.add_argument("--dir", default=here, help="the exported folder (config.json, weights.safetensors)")
    p.add_argument("--out", default=None, help="checkpoint path (default DIR/checkpoint.safetensors)")
    p.add_argument("--valid", default=None, help="held-out file: rank 0 prints its mean loss at the end (default without --data: DIR/data/valid.* when present)")
    a = p.parse_args()

    backend = "nccl" if torch.cuda.is_available() else "gloo"
    dist.init_process_group(backend)
    rank, world = dist.get_rank(), dist.get_world_size()
    device = torch.device(f"cuda:{int(os.environ.get('LOCAL_RANK', 0))}") if backend == "nccl" else torch.device("cpu")
    torch.manual_seed(a.seed)

    with open(os.path.join(a.dir, "config.json")) as f:
        config = json.load(f)
    task = config["task"]
    if a.data is None:
        a.data = exported_data(a.dir)
        a.valid = a.valid or exported_data(a.dir, "valid")
    if a.valid is not None and not os.path.isfile(a.valid):
        raise SystemExit(f"train_ddp.py: --valid {a.valid!r} is not a file")
    if not os.path.isfile(a.data):
        raise SystemExit(f"train_ddp.py: --data {a.data!r} is not a file (for a run on one of recur's named data sets, export it with `recur export torch RUN --out DIR --with-data`)")
    text = read_data(task, a.data)
    if task == "lm":
        batches = lm_data(config, text, a, rank, world)
    else:
        examples, make = task_examples(config, task, text, a.data, a.dir)
        batches = example_batches(examples, make, a, rank, world)

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
    if rank == 0 and a.valid is not None:
        print(json.dumps({"step": step, "valid_loss": round(validation_loss(m, config, task, a.valid, a, device), 5), "valid": a.valid}), flush=True)
    dist.barrier()
    dist.destroy_process_group()


def loss_through(f, m, task, b, reduction="mean"):
    """The task's loss with the forward pass through f: the DDP wrapper when training (so gradients
    are all-reduced), the module itself for validation. reduction "sum" gives (sum, count)."""
    if task == "classify":
        loss = torch.nn.functional.cross_entropy(f(b["ids"], b["lengths"], b.get("features")), b["labels"], reduction=reduction)
        n = len(b["labels"])
    elif task == "tag":
        em = f(b["word_ids"], b["lengths"], b["chars"], b["char_lengths"], b["word_slot"])
        n = b["lengths"].sum()
        loss = m.nll(em, b["tags"], b["lengths"])
        loss = loss / n if reduction == "mean" else loss
    else:
        logits = f(b["src"], b["src_lengths"], b["tgt_in"])
        pad_id = m.c["tgtPadId"]
        loss = torch.nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), b["tgt_out"].reshape(-1), ignore_index=pad_id, reduction=reduction)
        n = (b["tgt_out"] != pad_id).sum()
    return loss if reduction == "mean" else (loss, n)


if __name__ == "__main__":
    main()
