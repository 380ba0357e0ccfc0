#!/usr/bin/env python3
"""Peer: the tutorial's experiment (vzhou842/rnn-from-scratch) in plain numpy, float64.

The workload `rnn train` runs by default: the 58 training sentences of data/tutorial, one-hot words,
a vanilla RNN with hidden size 64, weights randn / 1000 and zero biases, softmax cross-entropy,
backpropagation through time as the tutorial publishes it, every gradient element clipped to
[-1, 1], plain SGD at 0.02, one example at a time in a shuffled order, 1000 epochs, and every 100
epochs a report of the training and test loss and accuracy (the test pass is timed too, as in
`rnn train`).

Usage: tutorial_numpy.py [DATA_DIR] [--epochs N] [--seed S]
DATA_DIR defaults to the repository's data/tutorial. Prints the reports, then `train_seconds: X`.
"""
import argparse
import os
import random
import time

import numpy as np

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def read(path):
    with open(path, encoding="utf-8") as f:
        next(f)  # header: text, label
        return [(text, int(label == "positive"))
                for text, label in (line.rstrip("\n").split("\t") for line in f)]


def main():
    ap = argparse.ArgumentParser(description="The tutorial's experiment in numpy.")
    ap.add_argument("data", nargs="?", default=os.path.join(ROOT, "data", "tutorial"))
    ap.add_argument("--epochs", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    train = read(os.path.join(args.data, "train.tsv"))
    test = read(os.path.join(args.data, "test.tsv"))
    words = sorted({w for text, _ in train for w in text.split(" ")})
    index = {w: i for i, w in enumerate(words)}
    V, H, O, lr = len(words), 64, 2, 0.02
    print(f"{V} unique words found")

    rng = np.random.default_rng(args.seed)
    shuffle = random.Random(args.seed).shuffle
    Wxh = rng.standard_normal((H, V)) / 1000
    Whh = rng.standard_normal((H, H)) / 1000
    Why = rng.standard_normal((O, H)) / 1000
    bh, by = np.zeros((H, 1)), np.zeros((O, 1))

    def one_hot(text):
        out = []
        for w in text.split(" "):
            x = np.zeros((V, 1))
            x[index[w]] = 1
            out.append(x)
        return out

    encoded = {text: one_hot(text) for text, _ in train + test}

    def epoch(rows, learn):
        nonlocal Wxh, Whh, Why, bh, by
        rows = list(rows)
        shuffle(rows)
        loss, correct = 0.0, 0
        for text, target in rows:
            xs = encoded[text]
            hs = [np.zeros((H, 1))]
            for x in xs:
                hs.append(np.tanh(Wxh @ x + Whh @ hs[-1] + bh))
            y = Why @ hs[-1] + by
            p = np.exp(y - y.max())
            p /= p.sum()
            loss -= np.log(p[target, 0])
            correct += int(np.argmax(p) == target)
            if not learn:
                continue
            dy = p
            dy[target] -= 1
            dWhy, dby = dy @ hs[-1].T, dy
            dWxh, dWhh, dbh = np.zeros_like(Wxh), np.zeros_like(Whh), np.zeros_like(bh)
            dh = Why.T @ dy
            for t in range(len(xs) - 1, -1, -1):
                g = (1 - hs[t + 1] ** 2) * dh
                dbh += g
                dWhh += g @ hs[t].T
                dWxh += g @ xs[t].T
                dh = Whh @ g  # as published (the exact gradient uses Whh.T)
            for d in (dWxh, dWhh, dWhy, dbh, dby):
                np.clip(d, -1, 1, out=d)
            Wxh -= lr * dWxh
            Whh -= lr * dWhh
            Why -= lr * dWhy
            bh -= lr * dbh
            by -= lr * dby
        return loss / len(rows), correct / len(rows)

    start = time.perf_counter()
    for e in range(1, args.epochs + 1):
        train_loss, train_accuracy = epoch(train, True)
        if e % 100 == 0:
            test_loss, test_accuracy = epoch(test, False)
            print(f"--- Epoch {e}")
            print(f"Train:\tLoss {train_loss:.3f} | Accuracy: {train_accuracy:.3f}")
            print(f"Test:\tLoss {test_loss:.3f} | Accuracy: {test_accuracy:.3f}")
    print(f"train_seconds: {time.perf_counter() - start:.3f}")


if __name__ == "__main__":
    main()
