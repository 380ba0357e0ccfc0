#!/usr/bin/env python3
"""Peer: a bag-of-n-grams baseline (scikit-learn) on the movie-review sentences.

Tf-idf of word unigrams and bigrams (sublinear term frequency), then L2-regularized logistic
regression (C = 4). Labels as `rnn bench movie` reads them: score > 0 positive, < 0 negative,
0 left out. The accuracy an RNN classifier of the movie set should at least match.

With `--rnnkit-tokens RNN`, the texts are split by `RNN tokenize --json` (the tokens `rnn train
--model bow` reads) instead of scikit-learn's own pattern: the same features as RNNKit's baseline.
With `--naive-bayes`, each tf-idf column is multiplied by |r|, the n-gram's Naive Bayes log-count
ratio on the training texts (Wang & Manning 2012, alpha = 1), and rows are scaled to unit length
again: `rnn train --model bow --ngram-weighting nb`.

Usage: bow.py [--rnnkit-tokens RNN] [--naive-bayes] [TRAIN.tsv TEST.tsv]   (default: data/movie/{train,test}.tsv)
Prints `bow_test_acc: X` and `bow_seconds: S` (fit and predict).
"""
import json
import os
import subprocess
import sys
import time

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.preprocessing import normalize

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def read(path):
    texts, labels = [], []
    with open(path, encoding="utf-8") as f:
        next(f)  # header: id, score, text
        for n, line in enumerate(f, start=2):
            fields = line.rstrip("\n").split("\t", 2)
            if len(fields) != 3:
                sys.exit(f"{path} line {n}: expected 3 tab-separated fields (id, score, text)")
            score = float(fields[1])
            if score != 0:
                texts.append(fields[2])
                labels.append(int(score > 0))
    return texts, labels


def rnnkit_tokens(rnn, texts):
    """Each text's tokens as `rnn tokenize --json` gives them, one JSON array per line."""
    out = subprocess.run([rnn, "tokenize", "--json"], input="\n".join(texts) + "\n", capture_output=True, text=True, check=True)
    tokens = [json.loads(line) for line in out.stdout.splitlines()]
    if len(tokens) != len(texts):
        sys.exit(f"rnn tokenize gave {len(tokens)} lines for {len(texts)} texts")
    return tokens


def naive_bayes_scale(train_x, labels):
    """diag(|r|): r_j = ln((p_j/|p|_1) / (q_j/|q|_1)), p (q) = 1 + positive (negative) texts holding n-gram j."""
    held = (train_x > 0).astype(np.float64)
    y = np.asarray(labels)
    p = 1 + np.asarray(held[y == 1].sum(0)).ravel()
    q = 1 + np.asarray(held[y == 0].sum(0)).ravel()
    return sparse.diags(np.abs(np.log((p / p.sum()) / (q / q.sum()))))


def main():
    args = sys.argv[1:]
    rnn = None
    if args[:1] == ["--rnnkit-tokens"]:
        if len(args) < 2:
            sys.exit(__doc__.strip().split("\n\n")[-2])
        rnn, args = args[1], args[2:]
    naive_bayes = "--naive-bayes" in args
    args = [a for a in args if a != "--naive-bayes"]
    if len(args) not in (0, 2):
        sys.exit(__doc__.strip().split("\n\n")[-2])
    train_path, test_path = args or [os.path.join(ROOT, "data", "movie", f"{n}.tsv") for n in ("train", "test")]
    train_x, train_y = read(train_path)
    test_x, test_y = read(test_path)
    if rnn:
        train_x, test_x = rnnkit_tokens(rnn, train_x), rnnkit_tokens(rnn, test_x)
    start = time.perf_counter()
    if rnn:
        same = lambda x: x  # noqa: E731 — the texts are token lists already
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, preprocessor=same, tokenizer=same,
                                     lowercase=False, token_pattern=None)
    else:
        vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    train_features, test_features = vectorizer.fit_transform(train_x), vectorizer.transform(test_x)
    if naive_bayes:
        scale = naive_bayes_scale(train_features, train_y)
        train_features, test_features = normalize(train_features @ scale), normalize(test_features @ scale)
    model = LogisticRegression(C=4.0, max_iter=2000).fit(train_features, train_y)
    predicted = model.predict(test_features)
    accuracy = sum(int(p == y) for p, y in zip(predicted, test_y)) / len(test_y)
    print(f"bow_test_acc: {accuracy:.4f} (train {len(train_y)}, test {len(test_y)})")
    print(f"bow_seconds: {time.perf_counter() - start:.2f}")


if __name__ == "__main__":
    main()
