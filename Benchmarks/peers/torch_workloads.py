#!/usr/bin/env python3
"""Peer: PyTorch (CPU) on the workloads `rnn bench` measures, defined the same way.

  torch_workloads.py movie CELL [--epochs N]      movie reviews, word level: training tokens/s, test accuracy
  torch_workloads.py latency CELL                 one 16-token movie sentence through a trained model
  torch_workloads.py charlm CELL [--seconds S]    character LM on tinyshakespeare: training chars/s
  torch_workloads.py charlm_budget CELL SECONDS   the same LM trained for SECONDS: validation nats/char
  torch_workloads.py sgemm                        2048³ float32 matrix product, GFLOP/s (torch and numpy)

CELL is rnn (tanh), lstm or gru. Data: the repository's data/ folder (--data DIR to change it).
Each figure is printed as one `name: value` line. Threads: torch's default (one per core).

movie: data/movie/{train,test}.tsv, score > 0 positive, < 0 negative, 0 left out; text lowercased and
split by RNNKit's `words` rules (the ASCII port in scripts/check-pytorch.py: the 103 training lines
with non-ASCII characters split a little differently, 0.1% of the tokens); vocabulary = training words
seen at least twice, plus padding and <unk>; embedding 64, one layer of 128, linear head on the
final hidden state; batches of 32 in a shuffled order, packed (no padding computed), Adam 0.002,
gradient norm clipped to 5; --epochs epochs (default 3), the median epoch's time counts.
latency: the network alone (as built for movie; its weights' values do not change the work) on the
word ids of the first 16-token test sentence, batch of one, no gradient, softmax included.
charlm: data/tinyshakespeare.txt, characters; embedding 128, 2 layers of 128, linear head to the
characters; 50 random windows of 50 steps per batch from the first 90% of the text, Adam 0.002,
gradient norm clipped to 5; trained for --seconds (default 10). FLOP/s: 6 per weight per character.
charlm_budget: the same, then the mean cross-entropy on the last 10% of the text in windows of 50.
"""
import argparse
import importlib.util
import os
import random
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM, "gru": nn.GRU}


def words_tokenizer():
    """RNNKit's `words` tokenizer, from the port in scripts/check-pytorch.py, lowercasing."""
    spec = importlib.util.spec_from_file_location("check_pytorch", os.path.join(ROOT, "scripts", "check-pytorch.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return lambda text: module.split_words(text.lower())


def read_movie(data, name, tokenize):
    rows = []
    with open(os.path.join(data, "movie", f"{name}.tsv"), encoding="utf-8") as f:
        next(f)  # header: id, score, text
        for line in f:
            _, score, text = line.rstrip("\n").split("\t", 2)
            if float(score) != 0:
                rows.append((tokenize(text.strip()), int(float(score) > 0)))
    return rows


class Classifier(nn.Module):
    def __init__(self, cell, vocab):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 64, padding_idx=0)
        self.rnn = CELLS[cell](64, 128, batch_first=True)
        self.fc = nn.Linear(128, 2)

    def forward(self, ids, lengths):
        _, h = self.rnn(pack_padded_sequence(self.embedding(ids), lengths, batch_first=True, enforce_sorted=False))
        h = h[0] if isinstance(h, tuple) else h
        return self.fc(h[-1])


def movie_setup(args):
    tokenize = words_tokenizer()
    train, test = read_movie(args.data, "train", tokenize), read_movie(args.data, "test", tokenize)
    counts = {}
    for words, _ in train:
        for w in words:
            counts[w] = counts.get(w, 0) + 1
    index = {w: i + 2 for i, w in enumerate(sorted(w for w, c in counts.items() if c >= 2))}  # 0 pad, 1 <unk>

    def encode(rows):
        return [([index.get(w, 1) for w in words] or [1], label) for words, label in rows]

    return encode(train), encode(test), len(index) + 2


def batches(rows, size, order):
    for i in range(0, len(order), size):
        chunk = [rows[j] for j in order[i:i + size]]
        lengths = torch.tensor([len(ids) for ids, _ in chunk])
        x = torch.zeros(len(chunk), int(lengths.max()), dtype=torch.long)
        for b, (ids, _) in enumerate(chunk):
            x[b, :len(ids)] = torch.tensor(ids)
        yield x, lengths, torch.tensor([label for _, label in chunk])


def train_movie(cell, train, test, vocab, epochs, report):
    model = Classifier(cell, vocab)
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    times = []
    for epoch in range(1, epochs + 1):
        order = list(range(len(train)))
        random.shuffle(order)
        model.train()
        start = time.perf_counter()
        for x, lengths, y in batches(train, 32, order):
            loss = nn.functional.cross_entropy(model(x, lengths), y)
            opt.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            opt.step()
        times.append(time.perf_counter() - start)
        model.eval()
        with torch.no_grad():
            correct = sum(int((model(x, L).argmax(1) == y).sum())
                          for x, L, y in batches(test, 256, list(range(len(test)))))
        if report:
            print(f"movie_{cell}_epoch{epoch}_seconds: {times[-1]:.3f}  test_acc: {correct / len(test):.4f}")
    return model, times


def movie(args):
    train, test, vocab = movie_setup(args)
    tokens = sum(len(ids) for ids, _ in train)
    print(f"movie_{args.cell}_vocab: {vocab}")
    print(f"movie_{args.cell}_train_tokens: {tokens}")
    _, times = train_movie(args.cell, train, test, vocab, args.epochs, report=True)
    median = statistics.median(times)
    print(f"movie_{args.cell}_epoch_seconds_median: {median:.3f}")
    print(f"movie_{args.cell}_train_tokens_per_s: {tokens / median:.0f}")


def latency(args):
    _, test, vocab = movie_setup(args)
    model = Classifier(args.cell, vocab).eval()  # untrained: the weights' values do not change the work
    ids = next(ids for ids, _ in test if len(ids) == 16)
    x, lengths = torch.tensor([ids]), torch.tensor([16])
    with torch.no_grad():
        for _ in range(200):
            model(x, lengths)
        n = 5000
        start = time.perf_counter()
        for _ in range(n):
            model(x, lengths).softmax(1)
    print(f"movie_{args.cell}_predict_one_network_us: {(time.perf_counter() - start) / n * 1e6:.1f} (16 tokens)")


class CharLM(nn.Module):
    def __init__(self, cell, vocab):
        super().__init__()
        self.embedding = nn.Embedding(vocab, 128)
        self.rnn = CELLS[cell](128, 128, num_layers=2, batch_first=True)
        self.fc = nn.Linear(128, vocab)

    def forward(self, x):
        out, _ = self.rnn(self.embedding(x))
        return self.fc(out)


def train_charlm(args, seconds):
    with open(os.path.join(args.data, "tinyshakespeare.txt"), encoding="utf-8") as f:
        text = f.read()
    chars = sorted(set(text))
    index = {c: i for i, c in enumerate(chars)}
    data = torch.tensor([index[c] for c in text])
    split = int(len(data) * 0.9)
    model = CharLM(args.cell, len(chars))
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    B, T, steps = 50, 50, 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        starts = torch.randint(0, split - T - 1, (B,))
        x = torch.stack([data[s:s + T] for s in starts])
        y = torch.stack([data[s + 1:s + T + 1] for s in starts])
        loss = nn.functional.cross_entropy(model(x).reshape(-1, len(chars)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        steps += 1
    return model, data, split, len(chars), steps, time.perf_counter() - start


def charlm(args):
    model, _, _, V, steps, elapsed = train_charlm(args, args.seconds)
    E = H = 128
    G = {"rnn": 1, "lstm": 4, "gru": 3}[args.cell]
    weights_per_char = G * H * (E + H) + G * H * (H + H) + H * V
    chars_per_s = steps * 50 * 50 / elapsed
    print(f"charlm_{args.cell}_steps: {steps}")
    print(f"charlm_{args.cell}_train_chars_per_s: {chars_per_s:.0f}")
    print(f"charlm_{args.cell}_gflops: {chars_per_s * 6 * weights_per_char / 1e9:.1f}")


def charlm_budget(args):
    model, data, split, V, steps, _ = train_charlm(args, args.budget)
    model.eval()
    val, T = data[split:], 50
    n = (len(val) - 1) // T * T
    x, y = val[:n].view(-1, T), val[1:n + 1].view(-1, T)
    total = 0.0
    with torch.no_grad():
        for i in range(0, x.shape[0], 256):
            logits = model(x[i:i + 256])
            total += nn.functional.cross_entropy(logits.reshape(-1, V), y[i:i + 256].reshape(-1), reduction="sum").item()
    print(f"charlm_{args.cell}_budget_{args.budget:g}s_steps: {steps}")
    print(f"charlm_{args.cell}_budget_{args.budget:g}s_val_loss: {total / y.numel():.4f}")


def sgemm(args):
    n, repeats = 2048, 5
    rng = np.random.default_rng(1)
    a, b = rng.random((n, n), dtype=np.float32), rng.random((n, n), dtype=np.float32)
    for name, (x, y) in (("torch", (torch.from_numpy(a), torch.from_numpy(b))), ("numpy", (a, b))):
        x @ y
        start = time.perf_counter()
        for _ in range(repeats):
            x @ y
        seconds = (time.perf_counter() - start) / repeats
        print(f"{name}_sgemm_2048_gflops: {2 * n ** 3 / seconds / 1e9:.1f}")


def main():
    ap = argparse.ArgumentParser(description="PyTorch peer on rnn bench's workloads.")
    ap.add_argument("workload", choices=["movie", "latency", "charlm", "charlm_budget", "sgemm"])
    ap.add_argument("cell", nargs="?", choices=sorted(CELLS), default="rnn")
    ap.add_argument("budget", nargs="?", type=float, default=300.0, help="seconds, for charlm_budget")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--data", default=os.path.join(ROOT, "data"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    {"movie": movie, "latency": latency, "charlm": charlm, "charlm_budget": charlm_budget, "sgemm": sgemm}[args.workload](args)


if __name__ == "__main__":
    main()
