#!/usr/bin/env python3
"""Check an RNNKit classifier or translation model file against PyTorch.

    scripts/check-pytorch.py MODEL.safetensors [--rnn PATH_TO_rnn] [--tolerance 1e-4] [TEXT ...]

Classifiers: reads the model file the way a PyTorch user would (`safetensors.torch.load_file` for the
weights, `safe_open(...).metadata()` for `rnnkit.config`, `rnnkit.vocabulary` and
`rnnkit.labels`), builds the equivalent `nn.Module` (attributes `embedding`, `rnn`, `fc`;
`nn.RNN`/`nn.LSTM`/`nn.GRU` with batch_first=True) and loads the weights with
`load_state_dict(strict=True)`. Each text is tokenized in Python with RNNKit's rules (see
below), run through PyTorch, and through `rnn predict --model MODEL --json`; the script prints
both probability vectors and their largest absolute difference.

Translation models (`rnnkit.config` task `translation`, written by `rnn train-seq2seq`): the
module is the `Seq2Seq` of scripts/fixtures/seq2seq_fixtures.py (the oracle of RNNKit's seq2seq
tests; bentrevett's notebook 3 generalised), built from `rnnkit.config`, with the weights loaded by
`load_state_dict(strict=True)`; the vocabularies are `rnnkit.source_vocabulary` and
`rnnkit.vocabulary` (target). Each text is tokenized in Python, framed as <bos> … <eos> (unknown
words read as <unk>) and greedy-decoded in PyTorch (argmax at every step, at most --max-length
steps, default 50, stopping at <eos>), and compared with `rnn translate --model MODEL --json
--no-shortlist` (a vocabulary shortlist's `shortlist.` tensors are not parameters: they are dropped
before loading):
the source tokens, unknown words, output tokens and whether <eos> came must be identical; the
attention weights of every step must agree within the tolerance plus 5e-5 (the JSON rounds them to
4 decimals) and the log-probability (Σ log p of the chosen words, <eos> included) within the
tolerance. The script prints both translations, both log-probabilities and the largest differences.

Texts come from the command line, or one per line from standard input when none are given.

Tokenizers: `spaces` (split on " "), `words` and `characters` are ported from RNNKit's
Vocabulary.swift. The `words` and `characters` ports follow RNNKit's ASCII code path exactly;
texts with non-ASCII characters are refused for them (their Unicode rules — grapheme clusters,
letter categories, ideographs — are not ported), and reported as skipped. As a check of the port,
the out-of-vocabulary words found in Python must be the ones `rnn predict` warns about (for
translation models, the `source_tokens` and `unknown_words` of `rnn translate --json`).

Exit status: 0 when every compared text agrees within the tolerance (default 1e-4) and the
unknown words match (translation: and the tokens are identical); 1 otherwise; 2 for usage errors.
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file


# ---------------------------------------------------------------------------------------------
# Tokenizers (RNNKit's Tokenizer / WordSplitter, ASCII path)

CLITICS = {"s", "m", "d", "ll", "re", "ve"}
PUNCTUATION = set(range(0x21, 0x24)) | set(range(0x25, 0x2B)) | set(range(0x2C, 0x30)) \
    | {0x3A, 0x3B, 0x3F, 0x40, 0x5B, 0x5C, 0x5D, 0x5F, 0x7B, 0x7D}


def is_space(c):
    return c == " " or "\t" <= c <= "\r"


def is_letter(c):
    return "a" <= c <= "z" or "A" <= c <= "Z"


def is_number(c):
    return "0" <= c <= "9"


def is_word(c):
    return is_letter(c) or is_number(c)


def is_punctuation(c):
    return ord(c) in PUNCTUATION


def abbreviation_end(u, start):
    """End of `u.s.`-style abbreviations: ≥ 2 single letters each followed by a period."""
    n, j, letters = len(u), start, 0
    while j + 1 < n and is_letter(u[j]) and u[j + 1] == ".":
        j += 2
        letters += 1
        if j < n and not is_letter(u[j]):
            break
        if j + 1 < n and u[j + 1] != ".":
            break
    if letters >= 2 and (j == n or not is_word(u[j])):
        return j
    return None


def standalone_clitic_end(u, start):
    """End of a pre-split clitic such as `'s` in `it 's`."""
    n, j = len(u), start + 1
    while j < n and j - start <= 3 and is_letter(u[j]):
        j += 1
    if not (j > start + 1 and (j == n or not is_word(u[j]))):
        return None
    return j if u[start + 1:j].lower() in CLITICS else None


def append_word(word, tokens):
    """Peels contraction endings off the back: shouldn't've -> should n't 've."""
    if "'" not in word:
        tokens.append(word)
        return
    endings = []
    while True:
        if len(word) > 3 and word[-3:].lower() == "n't":
            endings.append(word[-3:])
            word = word[:-3]
            continue
        k = word.rfind("'")
        if k > 0 and word[k + 1:].lower() in CLITICS:
            endings.append(word[k:])
            word = word[:k]
            continue
        break
    tokens.append(word)
    tokens.extend(reversed(endings))


def split_words(u):
    n, i, tokens = len(u), 0, []
    while i < n:
        c = u[i]
        if is_space(c):
            i += 1
        elif is_word(c):
            end = abbreviation_end(u, i)
            if end is not None:
                tokens.append(u[i:end])
                i = end
                continue
            j = i + 1
            while j < n:
                d = u[j]
                if is_word(d):
                    j += 1
                    continue
                # A joiner stays in the word only between two word characters.
                if j + 1 < n and is_word(u[j + 1]):
                    if d in "'-":
                        j += 1
                        continue
                    if d in ".," and is_number(u[j - 1]) and is_number(u[j + 1]):
                        j += 1
                        continue
                break
            append_word(u[i:j], tokens)
            i = j
        elif c == "'" and standalone_clitic_end(u, i) is not None:
            end = standalone_clitic_end(u, i)
            tokens.append("'" + u[i + 1:end])
            i = end
        elif is_punctuation(c):
            j = i + 1
            while j < n and u[j] == c:
                j += 1
            tokens.append(u[i:j])
            i = j
        else:
            tokens.append(c)
            i += 1
    return tokens


def split_characters(u):
    tokens, pending_space = [], False
    for c in u:
        if is_space(c):
            pending_space = bool(tokens)
            continue
        if pending_space:
            tokens.append(" ")
            pending_space = False
        tokens.append(c)
    return tokens


class Tokenizer:
    def __init__(self, stored):
        if isinstance(stored, str):
            self.kind, self.lowercase = stored, stored == "words"
        else:
            self.kind = stored["kind"]
            self.lowercase = stored.get("lowercase", self.kind == "words")
        if self.kind not in ("spaces", "words", "characters"):
            raise SystemExit(f"check-pytorch: unknown tokenizer {stored!r}")

    def __str__(self):
        return f"{self.kind} (lowercase: {str(self.lowercase).lower()})"

    def tokens(self, text):
        """Tokens of `text`, or None when the port cannot reproduce RNNKit exactly."""
        if self.kind != "spaces" and not text.isascii():
            return None
        if self.lowercase:
            if not text.isascii():
                return None  # Swift's and Python's Unicode case mappings differ in places.
            text = text.lower()
        if self.kind == "spaces":
            return [t for t in text.split(" ") if t]
        if self.kind == "words":
            return split_words(text)
        return split_characters(text)


# ---------------------------------------------------------------------------------------------
# The model, as a PyTorch user would write it

class Classifier(nn.Module):
    def __init__(self, config):
        super().__init__()
        self.cell = config["cell"]
        self.one_hot = config["input"] == "one_hot"
        self.vocab_size = config["vocab_size"]
        self.pooling = config.get("pooling", "last")
        self.directions = 2 if config.get("bidirectional", False) else 1
        hidden, layers = config["hidden_size"], config.get("num_layers", 1)
        if self.one_hot:
            input_size = self.vocab_size
        else:
            input_size = config["embedding_size"]
            self.embedding = nn.Embedding(self.vocab_size, input_size)
        kwargs = dict(num_layers=layers, batch_first=True, bidirectional=self.directions == 2)
        if self.cell in ("rnn_tanh", "rnn_relu"):
            self.rnn = nn.RNN(input_size, hidden, nonlinearity=self.cell[4:], **kwargs)
        elif self.cell == "lstm":
            self.rnn = nn.LSTM(input_size, hidden, **kwargs)
        elif self.cell == "gru":
            self.rnn = nn.GRU(input_size, hidden, **kwargs)
        else:
            raise SystemExit(f"check-pytorch: unknown cell {self.cell!r}")
        self.fc = nn.Linear(self.directions * hidden, config["num_classes"])

    def forward(self, ids):
        """ids: (1, T) token ids of one text -> logits (1, O)."""
        if self.one_hot:
            x = F.one_hot(ids, self.vocab_size).to(self.fc.weight.dtype)
        else:
            x = self.embedding(ids)
        out, state = self.rnn(x)
        if self.pooling == "last":
            h_n = state[0] if self.cell == "lstm" else state
            # The top layer's final states: forward (last step), then reverse (step 0).
            features = torch.cat([h_n[-self.directions + d] for d in range(self.directions)], dim=1)
        elif self.pooling == "max":
            features = out.max(dim=1).values
        elif self.pooling == "mean":
            features = out.mean(dim=1)
        else:
            raise SystemExit(f"check-pytorch: unknown pooling {self.pooling!r}")
        return self.fc(features)


# ---------------------------------------------------------------------------------------------

def find_rnn(explicit):
    if explicit:
        return explicit
    here = os.path.dirname(os.path.abspath(__file__))
    for candidate in (os.path.join(here, "..", ".build", "release", "rnn"), shutil.which("rnn")):
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return os.path.normpath(candidate)
    raise SystemExit("check-pytorch: no `rnn` binary found; build one (swift build -c release) and pass --rnn PATH")


WARNING = re.compile(r'^warning: "(.*)" is not in the model\'s vocabulary; skipped\.$')


def run_rnnkit(rnn, model, texts):
    """RNNKit's probabilities per text (None where it reported an error) and its unknown-word warnings."""
    result = subprocess.run([rnn, "predict", "--model", model, "--json", "--", *texts],
                            capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"check-pytorch: `rnn predict` failed ({result.returncode}):\n{result.stderr}")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    if len(lines) != len(texts):
        raise SystemExit(f"check-pytorch: `rnn predict` printed {len(lines)} results for {len(texts)} texts")
    unknown = [m.group(1) for m in map(WARNING.match, result.stderr.splitlines()) if m]
    return lines, unknown


# ---------------------------------------------------------------------------------------------
# Translation models

def seq2seq_module():
    """scripts/fixtures/seq2seq_fixtures.py, whose Seq2Seq is the oracle of RNNKit's seq2seq tests."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "fixtures"))
    import seq2seq_fixtures
    return seq2seq_fixtures


def greedy(model, s2s, source, max_length):
    """Greedy decoding of one source ([<bos>, …, <eos>] ids): output ids without <eos>, whether <eos>
    came, Σ log p of the chosen ids (<eos> included), the attention rows, the smallest top-2 logit gap."""
    with torch.no_grad():
        keys, final, mask, state = model.start(torch.tensor([source]), torch.tensor([len(source)]))
        y, tokens, rows, logp, gap, finished = torch.tensor([s2s.BOS]), [], [], 0.0, float("inf"), False
        for _ in range(max_length):
            logits, state, a = model.decoder(y, state, keys, mask, final)
            logits[0, s2s.PAD] = logits[0, s2s.BOS] = float("-inf")  # never words of a translation (as rnn translate)
            row = logits[0].double()
            if row.numel() > 1:
                top = row.topk(2).values
                gap = min(gap, (top[0] - top[1]).item())
            y = logits.argmax(dim=1)
            logp += torch.log_softmax(row, dim=0)[int(y)].item()
            if a is not None:
                rows.append(a[0].double().tolist())
            if int(y) == s2s.EOS:
                finished = True
                break
            tokens.append(int(y))
    return tokens, finished, logp, rows, gap


def run_translate(rnn, model, texts, max_length):
    """`rnn translate --json`'s object per text."""
    result = subprocess.run([rnn, "translate", "--model", model, "--json", "--no-shortlist", "--max-length", str(max_length),
                             "--", *texts],
                            capture_output=True, text=True)
    if result.returncode not in (0, 1):
        raise SystemExit(f"check-pytorch: `rnn translate` failed ({result.returncode}):\n{result.stderr}")
    lines = [json.loads(line) for line in result.stdout.splitlines() if line.strip()]
    if len(lines) != len(texts):
        raise SystemExit(f"check-pytorch: `rnn translate` printed {len(lines)} results for {len(texts)} texts")
    return lines


def check_translation(args, texts, weights, metadata, config):
    for key in ("rnnkit.vocabulary", "rnnkit.source_vocabulary"):
        if key not in metadata:
            raise SystemExit(f"check-pytorch: {args.model} has no `{key}` metadata: not an RNNKit translation model")
    s2s = seq2seq_module()
    target_vocabulary = json.loads(metadata["rnnkit.vocabulary"])
    source_vocabulary = json.loads(metadata["rnnkit.source_vocabulary"])
    specials = ["<pad>", "<unk>", "<bos>", "<eos>"]
    if [s2s.PAD, s2s.UNK, s2s.BOS, s2s.EOS] != list(range(4)):
        raise SystemExit("check-pytorch: seq2seq_fixtures.py's special ids are not 0 <pad>, 1 <unk>, 2 <bos>, 3 <eos>")
    for name, vocabulary in (("source", source_vocabulary), ("target", target_vocabulary)):
        if vocabulary[:4] != specials:
            raise SystemExit(f"check-pytorch: the {name} vocabulary begins {vocabulary[:4]}, not {specials}")
    tokenizer = Tokenizer(config.get("tokenizer", "spaces"))
    ids = {w: i for i, w in enumerate(source_vocabulary)}

    model = s2s.Seq2Seq(config)
    weights = {name: w for name, w in weights.items() if not name.startswith("shortlist.")}
    model.load_state_dict(weights, strict=True)
    model = model.to(getattr(torch, args.dtype)).eval()
    print(f"model: {args.model}")
    print(f"  translation: {config['cell']} encoder ({config.get('encoder_layers', 1)} layer(s), "
          f"{'bidirectional' if config.get('bidirectional') else 'unidirectional'}, hidden {config['encoder_hidden_size']}), "
          f"{config['attention']} attention, {config['cell']} decoder (hidden {config['decoder_hidden_size']}), "
          f"embedding {config['embedding_size']}; vocabularies {len(source_vocabulary)} source, "
          f"{len(target_vocabulary)} target; tokenizer {tokenizer}")
    print(f"  PyTorch {torch.__version__}, {args.dtype}; load_state_dict(strict=True): {len(weights)} tensors; "
          f"greedy, at most {args.max_length} steps")

    tokenized = [(text, tokenizer.tokens(text)) for text in texts]
    skipped = 0
    for text, tokens in tokenized:
        if tokens is None:
            skipped += 1
            print(f"skipped (non-ASCII text; the {tokenizer} port is ASCII-only): {text!r}")
    tokenized = [(text, tokens) for text, tokens in tokenized if tokens is not None]
    if not tokenized:
        raise SystemExit("check-pytorch: no text left to compare")

    rnn = find_rnn(args.rnn)
    rnnkit = run_translate(rnn, args.model, [text for text, _ in tokenized], args.max_length)

    rounding = 5e-5  # `rnn translate --json` writes attention weights with 4 decimals
    worst_attention, worst_logp, compared, failures = 0.0, 0.0, 0, 0
    for (text, tokens), theirs in zip(tokenized, rnnkit):
        if "error" in theirs:
            failures += 1
            print(f"MISMATCH: RNNKit failed on {text!r}: {theirs['error']}")
            continue
        if not text.strip():  # RNNKit translates an empty sentence as an empty line, without decoding
            ok = theirs["tokens"] == [] and theirs["translation"] == ""
            failures += not ok
            print(f"{'ok' if ok else 'MISMATCH'}: empty text {text!r}; RNNKit: {theirs['translation']!r}")
            continue
        unknown = [t for t in tokens if t not in ids]
        source = [s2s.BOS] + [ids.get(t, s2s.UNK) for t in tokens] + [s2s.EOS]
        out, finished, logp, rows, gap = greedy(model, s2s, source, args.max_length)
        words = [target_vocabulary[i] for i in out]

        problems = []
        if theirs["source_tokens"] != ["<bos>"] + tokens + ["<eos>"]:
            problems.append(f"source tokens differ: Python {tokens}, RNNKit {theirs['source_tokens'][1:-1]}")
        if theirs["unknown_words"] != unknown:
            problems.append(f"unknown words differ: Python {unknown}, RNNKit {theirs['unknown_words']}")
        if theirs["tokens"] != words or theirs["finished"] != finished:
            problems.append("the translations differ")
        their_rows = theirs["attention"]
        if config["attention"] == "none":
            attention_difference = 0.0
            if their_rows:
                problems.append(f"RNNKit reports attention ({len(their_rows)} rows) for a model without attention")
        elif len(their_rows) != len(rows) or any(len(a) != len(b) for a, b in zip(their_rows, rows)):
            attention_difference = float("nan")
            problems.append(f"attention shapes differ: PyTorch {len(rows)} x {len(source)}, RNNKit {len(their_rows)} rows "
                            f"of {sorted({len(r) for r in their_rows})}")
        else:
            attention_difference = max((abs(a - (b if b is not None else float("nan")))
                                        for ra, rb in zip(rows, their_rows) for a, b in zip(ra, rb)), default=0.0)
            worst_attention = max(worst_attention, attention_difference)
            if not attention_difference <= args.tolerance + rounding:
                problems.append(f"attention differs by {attention_difference:.3g}")
        their_logp = theirs["log_probability"]
        logp_difference = abs(logp - their_logp) if their_logp is not None else float("nan")
        worst_logp = max(worst_logp, logp_difference) if logp_difference == logp_difference else worst_logp
        if not logp_difference <= args.tolerance:
            problems.append(f"log-probability differs by {logp_difference:.3g}")
        compared += 1
        failures += bool(problems)
        if problems or not args.quiet:
            end = "<eos>" if finished else f"no <eos> after {args.max_length} steps"
            their_end = "<eos>" if theirs["finished"] else f"no <eos> after {args.max_length} steps"
            print(f"{'MISMATCH' if problems else 'ok'}: {text!r}")
            print(f"    source: {len(source)} tokens (with <bos>, <eos>), {len(unknown)} unknown")
            print(f"    PyTorch: {' '.join(words)!r} ({end}), log p {logp:.7f}")
            print(f"    RNNKit:  {' '.join(theirs['tokens'])!r} ({their_end}), log p {their_logp:.7f}"
                  if their_logp is not None else f"    RNNKit:  {' '.join(theirs['tokens'])!r} ({their_end}), log p null")
            detail = "no attention" if config["attention"] == "none" else \
                f"attention {len(rows)} x {len(source)}, max |difference| {attention_difference:.3g}"
            print(f"    {detail}; log p |difference| {logp_difference:.3g}; smallest top-2 logit gap {gap:.3g}")
            for p in problems:
                print(f"    {p}")

    print(f"{compared} text(s) compared, {skipped} skipped; largest |difference|: attention {worst_attention:.3g} "
          f"(tolerance {args.tolerance:g} + {rounding:g} rounding), log p {worst_logp:.3g} (tolerance {args.tolerance:g}); "
          f"{'FAIL' if failures else 'PASS'}")
    return 1 if failures else 0


# ---------------------------------------------------------------------------------------------
# Classifiers, and the command line

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("model", help="an RNNKit model file (rnn train --output)")
    parser.add_argument("texts", nargs="*", help="texts to compare (default: one per line from standard input)")
    parser.add_argument("--rnn", help="the rnn binary (default: .build/release/rnn, then rnn on PATH)")
    parser.add_argument("--tolerance", type=float, default=1e-4, help="largest allowed |difference| (default 1e-4)")
    parser.add_argument("--dtype", choices=["float32", "float64"], default="float32",
                        help="PyTorch's computation precision (default float32, the file's)")
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    parser.add_argument("--max-length", type=int, default=50,
                        help="translation models: the most decoder steps, <eos> included (default 50)")
    args = parser.parse_intermixed_args()
    if args.max_length < 1:
        parser.error("--max-length must be at least 1")

    texts = args.texts or [line.strip() for line in sys.stdin if line.strip()]
    if not texts:
        parser.error("no texts given")

    weights = load_file(args.model)
    with safe_open(args.model, framework="pt") as f:
        metadata = f.metadata() or {}
    if "rnnkit.config" not in metadata:
        raise SystemExit(f"check-pytorch: {args.model} has no `rnnkit.config` metadata: not an RNNKit model")
    config = json.loads(metadata["rnnkit.config"])
    task = config.get("task", "classify")
    if task == "translation":
        return check_translation(args, texts, weights, metadata, config)
    if task != "classify":
        raise SystemExit(f"check-pytorch: task {task!r}; this script checks classifiers and translation models")
    for key in ("rnnkit.vocabulary", "rnnkit.labels"):
        if key not in metadata:
            raise SystemExit(f"check-pytorch: {args.model} has no `{key}` metadata: not an RNNKit classifier")
    vocabulary = json.loads(metadata["rnnkit.vocabulary"])
    labels = json.loads(metadata["rnnkit.labels"])
    tokenizer = Tokenizer(config.get("tokenizer", "spaces"))
    ids = {w: i for i, w in enumerate(vocabulary)}
    unk = ids.get("<unk>")

    model = Classifier(config)
    model.load_state_dict(weights, strict=True)
    model = model.to(getattr(torch, args.dtype)).eval()
    print(f"model: {args.model}")
    print(f"  {config['cell']}, input {config['input']}, {config.get('num_layers', 1)} layer(s), "
          f"{'bidirectional' if config.get('bidirectional') else 'unidirectional'}, hidden {config['hidden_size']}, "
          f"pooling {config.get('pooling', 'last')}; vocabulary {len(vocabulary)}; labels {labels}; tokenizer {tokenizer}")
    print(f"  PyTorch {torch.__version__}, {args.dtype}; load_state_dict(strict=True): {len(weights)} tensors")

    # Texts the Python port cannot tokenize exactly are left out of both sides, so that RNNKit's
    # unknown-word warnings (which name no text) cover exactly the texts compared.
    tokenized = [(text, tokenizer.tokens(text)) for text in texts]
    skipped = 0
    for text, tokens in tokenized:
        if tokens is None:
            skipped += 1
            print(f"skipped (non-ASCII text; the {tokenizer} port is ASCII-only): {text!r}")
    tokenized = [(text, tokens) for text, tokens in tokenized if tokens is not None]
    if not tokenized:
        raise SystemExit("check-pytorch: no text left to compare")

    rnn = find_rnn(args.rnn)
    rnnkit, rnnkit_unknown = run_rnnkit(rnn, args.model, [text for text, _ in tokenized])

    worst, compared, failures = 0.0, 0, 0
    python_unknown = []
    for (text, tokens), theirs in zip(tokenized, rnnkit):
        encoded, unknown = [], []
        for t in tokens:
            if t in ids:
                encoded.append(ids[t])
            else:
                unknown.append(t)
                if unk is not None:
                    encoded.append(unk)
        if encoded:
            python_unknown += unknown  # RNNKit warns only about texts it goes on to classify
        if not encoded:
            ok = "error" in theirs
            failures += 0 if ok else 1
            print(f"{'ok' if ok else 'MISMATCH'}: no known token in {text!r}; RNNKit: {theirs.get('error', 'no error')}")
            continue
        if "error" in theirs:
            failures += 1
            print(f"MISMATCH: RNNKit failed on {text!r}: {theirs['error']}")
            continue
        with torch.no_grad():
            logits = model(torch.tensor([encoded]))
            torch_p = torch.softmax(logits.double(), dim=1)[0].tolist()
        rnnkit_p = [theirs["probabilities"][label] for label in labels]
        difference = max(abs(a - b) for a, b in zip(torch_p, rnnkit_p))
        worst = max(worst, difference)
        compared += 1
        bad = not difference <= args.tolerance
        failures += bad
        if bad or not args.quiet:
            print(f"{'MISMATCH' if bad else 'ok'}: {text!r}")
            print(f"    {len(encoded)} tokens")
            print("    PyTorch: [" + ", ".join(f"{p:.7f}" for p in torch_p) + "]")
            print("    RNNKit:  [" + ", ".join(f"{p:.7f}" for p in rnnkit_p) + "]")
            print(f"    max |difference| = {difference:.3g}")

    if python_unknown != rnnkit_unknown:
        failures += 1
        print("MISMATCH: the Python tokenizer's unknown words differ from RNNKit's warnings:")
        print(f"    Python: {python_unknown[:20]}{' …' if len(python_unknown) > 20 else ''}")
        print(f"    RNNKit: {rnnkit_unknown[:20]}{' …' if len(rnnkit_unknown) > 20 else ''}")
    else:
        print(f"unknown words: {len(python_unknown)}, the same in Python and RNNKit")
    print(f"{compared} text(s) compared, {skipped} skipped; largest |difference| {worst:.3g} "
          f"(tolerance {args.tolerance:g}); {'FAIL' if failures else 'PASS'}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
