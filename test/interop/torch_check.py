#!/usr/bin/python3
"""Runs an exported recur model (DIR/model.py) in PyTorch for test/interop/torch.test.ts.

    torch_check.py DIR INPUTS.json OUT.json [--perturb]

Prints nothing; writes the model's outputs on the inputs as JSON ({"before": outputs}). With
--perturb, it then adds small noise to every weight, saves DIR/checkpoint.safetensors (as
train_ddp.py would) and adds the new outputs as "after", so that the test can import the
checkpoint and compare recur's outputs with them (one Python start for both).
"""
import json
import os
import sys

import torch

torch.set_num_threads(1)
d, inp, out = sys.argv[1], sys.argv[2], sys.argv[3]
sys.path.insert(0, d)
import model  # noqa: E402

m = model.load(d)
with open(inp) as f:
    x = json.load(f)
L = lambda k: torch.tensor(x[k], dtype=torch.long)


def outputs():
    with torch.no_grad():
        task = m.__class__.__name__
        if task == "LanguageModel":
            logits, st = m(L("ids"))
            return {"logits": logits.flatten().tolist(), "h": (st[0] if isinstance(st, tuple) else st).flatten().tolist()}
        if task == "SequenceClassifier":
            return {"logits": m(L("ids"), L("lengths"), torch.tensor(x["features"]) if "features" in x else None).flatten().tolist()}
        if task == "SequenceTagger":
            em = m(L("word_ids"), L("lengths"), L("chars"), L("char_lengths"), L("word_slot"))
            return {"emissions": em.flatten().tolist(), "paths": m.decode(em, L("lengths"))}
        return {"logits": m(L("src"), L("src_lengths"), L("tgt_in")).flatten().tolist()}


res = {"before": outputs()}
if "--perturb" in sys.argv:
    g = torch.Generator().manual_seed(5)
    with torch.no_grad():
        for name, p in m.named_parameters():
            p.add_(0.05 * torch.randn(p.shape, generator=g))
    model.save_safetensors(os.path.join(d, "checkpoint.safetensors"), m.state_dict())
    res["after"] = outputs()
with open(out, "w") as f:
    json.dump(res, f)
