#!/usr/bin/env python3
"""Peer: a bag-of-n-grams baseline (scikit-learn) on the movie-review sentences.

Tf-idf of word unigrams and bigrams (sublinear term frequency), then L2-regularized logistic
regression (C = 4). Labels as `rnn bench movie` reads them: score > 0 positive, < 0 negative,
0 left out. The accuracy an RNN classifier of the movie set should at least match.

With `--rnnkit-tokens RNN`, the texts are split by `RNN tokenize --json` (the tokens `rnn train
--model bow` reads) instead of scikit-learn's own pattern: the same features as RNNKit's baseline.

Usage: bow.py [--rnnkit-tokens RNN] [TRAIN.tsv TEST.tsv]   (default: data/movie/{train,test}.tsv)
Prints `bow_test_acc: X` and `bow_seconds: S` (fit and predict).
"""
import json
import os
import subprocess
import sys
import time

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

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


def main():
    args = sys.argv[1:]
    rnn = None
    if args[:1] == ["--rnnkit-tokens"]:
        if len(args) < 2:
            sys.exit(__doc__.strip().split("\n\n")[-2])
        rnn, args = args[1], args[2:]
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
    model = LogisticRegression(C=4.0, max_iter=2000).fit(vectorizer.fit_transform(train_x), train_y)
    predicted = model.predict(vectorizer.transform(test_x))
    accuracy = sum(int(p == y) for p, y in zip(predicted, test_y)) / len(test_y)
    print(f"bow_test_acc: {accuracy:.4f} (train {len(train_y)}, test {len(test_y)})")
    print(f"bow_seconds: {time.perf_counter() - start:.2f}")


if __name__ == "__main__":
    main()
