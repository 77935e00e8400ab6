"""recur's task models as plain torch.nn.Modules, with recur's module and parameter names.

Written by `recur export torch RUN --out DIR` next to config.json (the run's config) and
weights.safetensors (its weights), so that

    import model
    m = model.load(DIR)            # the recur run's model, in eval mode

gives the outputs recur gives. `recur import torch DIR --out RUN` reads a checkpoint in the
same names back (train_ddp.py writes one). Needs torch and numpy only: safetensors files are
read and written by the two small functions at the end.

| task      | class             | forward                                                          |
|-----------|-------------------|------------------------------------------------------------------|
| lm        | LanguageModel     | ids [T, B] (time-major), state -> logits [T, B, V], state        |
| classify  | SequenceClassifier| ids [B, T], lengths [B] (, features [B, T]) -> logits [B, C]     |
| tag       | SequenceTagger    | word_ids [B, T], lengths, chars [U, C], char_lengths, word_slot  |
|           |                   | [B, T] -> emissions [B, T, K]; .nll(...) and .decode(...) (CRF)  |
| translate | Seq2Seq           | encode(src [B, S], lengths) and step(prev [B], state, memory)    |
"""
import json
import os
import struct

import numpy as np
import torch
import torch.nn as nn


def _run_packed(rnn, x, lengths, state=None):
    """rnn over batch-first x with per-row lengths, as recur runs it (pack_padded_sequence)."""
    packed = nn.utils.rnn.pack_padded_sequence(x, lengths.cpu(), batch_first=True, enforce_sorted=False)
    out, st = rnn(packed, state)
    out, _ = nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=x.size(1))
    return out, st


def _rnn_class(cell):
    return {"lstm": nn.LSTM, "gru": nn.GRU, "rnn": nn.RNN}[cell]


class LanguageModel(nn.Module):
    """recur's src/tasks/lm/model.ts: Embedding -> RNN/LSTM/GRU -> dropout -> Linear."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.encoder = nn.Embedding(c["vocabSize"], c["embedSize"])
        self.rnn = _rnn_class(c["cell"])(c["embedSize"], c["hiddenSize"], c["numLayers"],
                                         dropout=c["dropout"] if c["numLayers"] > 1 else 0)
        self.drop = nn.Dropout(c["dropout"])
        self.decoder = nn.Linear(c["hiddenSize"], c["vocabSize"])
        if c["tieWeights"]:
            self.decoder.weight = self.encoder.weight

    def forward(self, ids, state=None):
        out, state = self.rnn(self.drop(self.encoder(ids)), state)
        return self.decoder(self.drop(out)), state

    def loss(self, batch):
        logits, _ = self(batch["input"])
        return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), batch["target"].reshape(-1))


class AttentionPooling(nn.Module):
    """recur's AttentionPooling: s_t = vᵀ tanh(W x_t + b), softmax over valid steps, weighted sum."""

    def __init__(self, features):
        super().__init__()
        self.proj = nn.Linear(features, features)
        self.context = nn.Linear(features, 1, bias=False)

    def forward(self, x, valid):
        s = self.context(torch.tanh(self.proj(x))).squeeze(2).masked_fill(~valid, float("-inf"))
        return (x * torch.softmax(s, 1).unsqueeze(2)).sum(1)


class SequenceClassifier(nn.Module):
    """recur's src/tasks/classify/model.ts: embedding -> (bi)RNN -> pooling -> dropout -> Linear."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.lexicon = c.get("lexicon", "none") not in (None, "none")
        d = 2 if c["bidirectional"] else 1
        self.embedding = nn.Embedding(c["vocabSize"], c["embedSize"], padding_idx=c["paddingIdx"])
        self.rnn = _rnn_class(c["cell"])(c["embedSize"] + (1 if self.lexicon else 0), c["hiddenSize"], c["numLayers"],
                                         batch_first=True, bidirectional=c["bidirectional"],
                                         dropout=c["dropout"] if c["numLayers"] > 1 else 0)
        if c["pooling"] == "attention":
            self.attention = AttentionPooling(d * c["hiddenSize"])
        self.drop = nn.Dropout(c["dropout"])
        self.classifier = nn.Linear(d * c["hiddenSize"], c["numClasses"])

    def forward(self, ids, lengths, features=None):
        x = self.drop(self.embedding(ids))
        if self.lexicon:
            x = torch.cat([x, features.unsqueeze(2)], 2)
        out, st = _run_packed(self.rnn, x, lengths)
        h = st[0] if isinstance(st, tuple) else st
        valid = torch.arange(ids.size(1))[None, :] < lengths[:, None]
        pooling = self.c["pooling"]
        if pooling == "last":
            pooled = torch.cat([h[-2], h[-1]], 1) if self.c["bidirectional"] else h[-1]
        elif pooling == "mean":
            pooled = out.sum(1) / lengths[:, None].to(out.dtype)
        elif pooling == "max":
            pooled = out.masked_fill(~valid.unsqueeze(2), float("-inf")).max(1).values
        else:
            pooled = self.attention(out, valid)
        return self.classifier(self.drop(pooled))

    def loss(self, batch):
        return nn.functional.cross_entropy(self(batch["ids"], batch["lengths"], batch.get("features")), batch["labels"])


class CharCNN(nn.Module):
    """recur's CharCNN: windows of `kernel` characters (0-padded), Linear, max over valid positions, tanh."""

    def __init__(self, chars, embed, filters, kernel=3):
        super().__init__()
        self.kernel = kernel
        self.embedding = nn.Embedding(chars, embed, padding_idx=0)
        self.conv = nn.Linear(kernel * embed, filters)

    def forward(self, chars, lengths):
        half = (self.kernel - 1) // 2
        C = chars.size(1)
        padded = nn.functional.pad(chars, (half, half))
        windows = torch.cat([self.embedding(padded[:, j:j + C]) for j in range(self.kernel)], 2)
        z = self.conv(windows)
        valid = torch.arange(C)[None, :] < lengths[:, None]
        return torch.tanh(z.masked_fill(~valid.unsqueeze(2), float("-inf")).max(1).values)


class CharLSTM(nn.Module):
    """recur's CharLSTM: final forward and backward states of a character BiLSTM."""

    def __init__(self, chars, embed, hidden):
        super().__init__()
        self.embedding = nn.Embedding(chars, embed, padding_idx=0)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True, bidirectional=True)

    def forward(self, chars, lengths):
        _, (h, _) = _run_packed(self.lstm, self.embedding(chars), lengths)
        return torch.cat([h[0], h[1]], 1)


class SequenceTagger(nn.Module):
    """recur's src/tasks/tag/model.ts: word ⊕ char features -> BiLSTM -> Linear -> softmax or CRF."""

    def __init__(self, c, crf_allowed=None):
        super().__init__()
        self.c = c
        K = len(c["tags"])
        self.word_embeddings = nn.Embedding(c["wordVocabSize"], c["wordEmbed"], padding_idx=0)
        feat = 0
        if c["charEncoder"] == "cnn":
            self.char_encoder = CharCNN(c["charVocabSize"], c["charEmbed"], c["charHidden"])
            feat = c["charHidden"]
        elif c["charEncoder"] == "lstm":
            self.char_encoder = CharLSTM(c["charVocabSize"], c["charEmbed"], c["charHidden"])
            feat = 2 * c["charHidden"]
        else:
            self.char_encoder = None
        self.lstm = nn.LSTM(c["wordEmbed"] + feat, c["hiddenSize"], c["numLayers"], batch_first=True, bidirectional=True,
                            dropout=c["dropout"] if c["numLayers"] > 1 else 0)
        self.drop = nn.Dropout(c["dropout"])
        self.hidden2tag = nn.Linear(2 * c["hiddenSize"], K)
        if c["crf"]:
            self.crf = nn.Module()
            self.crf.start_transitions = nn.Parameter(torch.zeros(K))
            self.crf.end_transitions = nn.Parameter(torch.zeros(K))
            self.crf.transitions = nn.Parameter(torch.zeros(K, K))
            # -inf where the BIO/BIOES scheme forbids a transition (recur's crf-constraints.ts).
            mask = lambda a, shape: torch.tensor(np.where(np.array(a, dtype=bool), 0.0, -np.inf).reshape(shape), dtype=torch.float32)
            allowed = crf_allowed or {"start": [True] * K, "end": [True] * K, "transitions": [[True] * K] * K}
            self.register_buffer("start_mask", mask(allowed["start"], (K,)), persistent=False)
            self.register_buffer("end_mask", mask(allowed["end"], (K,)), persistent=False)
            self.register_buffer("trans_mask", mask(allowed["transitions"], (K, K)), persistent=False)
        else:
            self.crf = None

    def forward(self, word_ids, lengths, chars=None, char_lengths=None, word_slot=None):
        x = self.word_embeddings(word_ids)
        if self.char_encoder is not None:
            x = torch.cat([x, self.char_encoder(chars, char_lengths)[word_slot]], 2)
        out, _ = _run_packed(self.lstm, self.drop(x), lengths)
        return self.hidden2tag(self.drop(out))

    def _scores(self):
        return (self.crf.start_transitions + self.start_mask, self.crf.end_transitions + self.end_mask,
                self.crf.transitions + self.trans_mask)

    def nll(self, em, tags, lengths):
        """Sum over sentences of -log p(tags) (CRF) or of the token cross-entropy (softmax); tags [B, T]."""
        B, T, K = em.shape
        valid = torch.arange(T)[None, :] < lengths[:, None]
        if self.crf is None:
            return nn.functional.cross_entropy(em[valid], tags[valid], reduction="sum")
        start, end, trans = self._scores()
        rows = torch.arange(B)
        t0 = tags[:, 0]
        gold = start[t0] + em[rows, 0, t0]
        alpha = start + em[:, 0]
        last = t0
        for t in range(1, T):
            on = valid[:, t]
            tt = tags[:, t].clamp(min=0)
            gold = gold + torch.where(on, trans[last, tt] + em[rows, t, tt], torch.zeros(B))
            nxt = torch.logsumexp(alpha.unsqueeze(2) + trans.unsqueeze(0), 1) + em[:, t]
            alpha = torch.where(on.unsqueeze(1), nxt, alpha)
            last = torch.where(on, tt, last)
        gold = gold + end[last]
        return (torch.logsumexp(alpha + end, 1) - gold).sum()

    def loss(self, batch):
        em = self(batch["word_ids"], batch["lengths"], batch.get("chars"), batch.get("char_lengths"), batch.get("word_slot"))
        return self.nll(em, batch["tags"], batch["lengths"]) / batch["lengths"].sum()

    def decode(self, em, lengths):
        """Best tag ids per sentence: Viterbi with the CRF, argmax per token otherwise."""
        if self.crf is None:
            return [em[b, :int(n)].argmax(1).tolist() for b, n in enumerate(lengths)]
        start, end, trans = self._scores()
        paths = []
        for b, n in enumerate(lengths.tolist()):
            score, back = start + em[b, 0], []
            for t in range(1, n):
                s = score.unsqueeze(1) + trans
                back.append(s.argmax(0))
                score = s.max(0).values + em[b, t]
            best = [int((score + end).argmax())]
            for bp in reversed(back):
                best.insert(0, int(bp[best[0]]))
            paths.append(best)
        return paths


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
        w = torch.softmax(e.masked_fill(mask, float("-inf")), 1)
        return torch.bmm(w.unsqueeze(1), values).squeeze(1), w


SCORES = {"bahdanau": "additive", "luong-concat": "additive", "luong-dot": "dot", "luong-general": "general", "none": None}


class Encoder(nn.Module):
    def __init__(self, c):
        super().__init__()
        d = 2 if c["bidirectional"] else 1
        self.dirs, self.layers = d, c["encoderLayers"]
        self.embedding = nn.Embedding(c["srcVocabSize"], c["embedSize"], padding_idx=c["srcPadId"])
        self.drop = nn.Dropout(c["dropout"])
        self.rnn = _rnn_class(c["cell"])(c["embedSize"], c["hiddenSize"] // d, c["encoderLayers"], batch_first=True,
                                         bidirectional=c["bidirectional"], dropout=c["dropout"] if c["encoderLayers"] > 1 else 0)

    def forward(self, ids, lengths):
        out, st = _run_packed(self.rnn, self.drop(self.embedding(ids)), lengths)
        h, c = st if isinstance(st, tuple) else (st, None)
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
            h, c = self.run_cells(torch.cat([emb, ctx, feed] if self.feeds else [emb, ctx], 1), h, c)
            out = self.drop(torch.tanh(self.combine(torch.cat([h[-1], ctx], 1))))
        else:
            h, c = self.run_cells(torch.cat([emb, feed], 1) if self.feeds else emb, h, c)
            ctx, w = self.attention(h[-1], values, keys, mask)
            out = self.drop(torch.tanh(self.combine(torch.cat([ctx, h[-1]], 1))))
        return out, h, c, (out if self.feeds else None), w


class Seq2Seq(nn.Module):
    """recur's src/tasks/translate/model.ts: encoder, bridge (dense), attentional decoder."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.encoder = Encoder(c)
        self.bridge = Bridge(c["hiddenSize"], c["decoderLayers"], c["cell"] == "lstm") if c["bridge"] == "dense" else None
        self.decoder = Decoder(c)

    def encode(self, ids, lengths):
        """-> (h, c, feed) decoder state (lists per layer) and the attention memory."""
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
        return (h, c, feed), mem

    def step(self, prev, state, mem):
        """One decoder step: logits [B, V], the next state, attention weights [B, S] (or None)."""
        out, h, c, feed, w = self.decoder.step(prev, *state, mem)
        return self.decoder.out(out), (h, c, feed), w

    def forward(self, ids, lengths, tgt_in):
        """Teacher-forced logits [T, B, V] for decoder inputs tgt_in [T, B]."""
        state, mem = self.encode(ids, lengths)
        outs = []
        for t in range(tgt_in.size(0)):
            logits, state, _ = self.step(tgt_in[t], state, mem)
            outs.append(logits)
        return torch.stack(outs, 0)

    def loss(self, batch):
        logits = self(batch["src"], batch["src_lengths"], batch["tgt_in"])
        return nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), batch["tgt_out"].reshape(-1), ignore_index=self.c["tgtPadId"])


def build(config):
    """The model of a recur run config (config.json), with fresh weights."""
    task, c = config["task"], config["model"]
    if task == "lm":
        return LanguageModel(c)
    if task == "classify":
        return SequenceClassifier(c)
    if task == "tag":
        return SequenceTagger(c, config.get("crfAllowed"))
    if task == "translate":
        return Seq2Seq(c)
    raise ValueError(f"unknown recur task {task!r}")


def load(directory, weights="weights.safetensors"):
    """The model of an exported run: config.json + weights, in eval mode."""
    with open(os.path.join(directory, "config.json")) as f:
        config = json.load(f)
    m = build(config)
    m.load_state_dict(load_safetensors(os.path.join(directory, weights)), strict=True)
    return m.eval()


_DTYPES = {"F32": np.float32, "F64": np.float64, "I64": np.int64, "I32": np.int32}


def load_safetensors(path):
    """name -> tensor of a safetensors file (little-endian F32/F64/I32/I64)."""
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, e in header.items():
        a, b = e["data_offsets"]
        arr = np.frombuffer(data, dtype=np.dtype(_DTYPES[e["dtype"]]).newbyteorder("<"), count=(b - a) // np.dtype(_DTYPES[e["dtype"]]).itemsize, offset=8 + n + a)
        out[name] = torch.from_numpy(arr.reshape(e["shape"]).copy())
    return out


def save_safetensors(path, state, metadata=None):
    """Writes float32 tensors by name (tied tensors are written under each name)."""
    header, blobs, offset = {}, [], 0
    for name, t in state.items():
        b = t.detach().to(torch.float32).contiguous().cpu().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    if metadata:
        header["__metadata__"] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    os.replace(tmp, path)
