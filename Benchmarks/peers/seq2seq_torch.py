#!/usr/bin/env python3
"""Peer: PyTorch (CPU) training and greedy decoding of an attention seq2seq translator.

  seq2seq_torch.py --source F --target F [--seconds S]               training tokens/s
  seq2seq_torch.py --source F --target F --greedy-latency N [--valid-source F] [--seconds 0]

The model is bentrevett/pytorch-seq2seq notebook 3: embedding, dropout and one bidirectional GRU
layer over the source (packed: padding is never computed); s0 = tanh(fc(forward final, backward
final)); at every decoder step additive attention v(tanh(attn(cat(s_{t-1}, encoder output)))) over
the source (padding masked out), context = weighted sum of the encoder outputs, a GRU step on
cat(dropout(embedding(input)), context), logits = fc_out(cat(s_t, context, embedding)). The
attention is computed as the notebook writes it (attn on the concatenation, at every step for every
source position) unless --split-attention, which applies attn's key columns to the encoder outputs
once per batch and only the query columns per step: the same function, far fewer FLOPs. Sizes
(notebook 3's): embedding 256 (--embedding, both sides), encoder hidden per direction = decoder hidden
= attention 512 (--hidden), dropout 0.5 (--dropout); weights drawn from N(0, 0.01), biases 0.

Data: --source and --target are line-aligned text files (e.g. Multi30k's train.de and train.en);
each line is lowercased and split on whitespace; a vocabulary per side keeps the words seen at least
twice, plus <pad> 0, <unk> 1, <bos> 2, <eos> 3; bos and eos are added to both sides.

Training: shuffled batches of 128 pairs (--batch; each padded to its longest sentence, no bucketing;
a last partial batch of an epoch is left out), teacher forcing 0.5 (drawn per decoder step for
the whole batch, as in the notebook), mean cross-entropy over the predicted tokens (padding
ignored), Adam 1e-3, gradient norm clipped to 1. One warm-up batch, then --seconds of training
(default 20; 0 skips training). Figures: target tokens = predicted tokens (eos included, bos not);
source tokens = the encoder's steps (bos and eos included).
--greedy-latency N: before any training (the initialised, untrained model: its weights' values change
only when eos comes, not the work of a step), the average milliseconds to greedy-translate one sentence (batch of one,
no gradient, dropout off, up to 50 steps, stopping after eos) over the first N lines of
--valid-source (default: --source), after 5 warm-up sentences; the average number of decoder steps
is printed too, since an untrained model seldom stops early.

Each figure is printed as one `name: value` line; the *_cpu_* figures are this process's CPU time
(all threads), a hint of how much a busy machine took away from the wall-clock ones. Threads:
torch's default (one per core), or --threads.
"""
import argparse
import random
import time
from collections import Counter

import torch
import torch.nn as nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_packed_sequence

PAD, UNK, BOS, EOS = 0, 1, 2, 3


def read_lines(path):
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    if lines[-1] == "":
        lines.pop()  # the final newline
    return [line.lower().split() for line in lines]


def vocabulary(sentences, min_count=2):
    counts = Counter(w for s in sentences for w in s)
    words = sorted(w for w, c in counts.items() if c >= min_count)
    return {w: i + 4 for i, w in enumerate(words)}


def encode(sentence, index):
    return [BOS] + [index.get(w, UNK) for w in sentence] + [EOS]


class Encoder(nn.Module):
    def __init__(self, vocab, emb, hidden, dropout):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.rnn = nn.GRU(emb, hidden, bidirectional=True)
        self.fc = nn.Linear(2 * hidden, hidden)
        self.dropout = nn.Dropout(dropout)

    def forward(self, src, lengths):  # src (S, B)
        packed = pack_padded_sequence(self.dropout(self.embedding(src)), lengths, enforce_sorted=False)
        outputs, h = self.rnn(packed)
        outputs, _ = pad_packed_sequence(outputs, total_length=src.shape[0])  # (S, B, 2H)
        return outputs, torch.tanh(self.fc(torch.cat([h[-2], h[-1]], dim=1)))


class Attention(nn.Module):
    """Additive attention. split: attn(cat(q, k)) computed as W_q q + (W_k k + b), the key part once
    per batch instead of at every step (the same function and parameters, less work)."""

    def __init__(self, enc, dec, size, split):
        super().__init__()
        self.attn = nn.Linear(dec + 2 * enc, size)
        self.v = nn.Linear(size, 1, bias=False)
        self.dec, self.split = dec, split

    def keys(self, outputs):  # outputs (B, S, 2He) -> what every step reuses
        if not self.split:
            return outputs
        return nn.functional.linear(outputs, self.attn.weight[:, self.dec:], self.attn.bias)

    def forward(self, hidden, outputs, keys, mask):  # hidden (B, Hd), outputs and keys (B, S, .), mask (B, S)
        if self.split:
            energy = torch.tanh(keys + (hidden @ self.attn.weight[:, :self.dec].T).unsqueeze(1))
        else:
            hidden = hidden.unsqueeze(1).expand(-1, outputs.shape[1], -1)
            energy = torch.tanh(self.attn(torch.cat([hidden, outputs], dim=2)))
        return self.v(energy).squeeze(2).masked_fill(~mask, float("-inf")).softmax(dim=1)


class Decoder(nn.Module):
    def __init__(self, vocab, emb, enc, dec, dropout, split):
        super().__init__()
        self.embedding = nn.Embedding(vocab, emb)
        self.attention = Attention(enc, dec, dec, split)
        self.rnn = nn.GRU(2 * enc + emb, dec)
        self.fc_out = nn.Linear(2 * enc + dec + emb, vocab)
        self.dropout = nn.Dropout(dropout)

    def forward(self, y, hidden, outputs, keys, mask):  # y (B,), hidden (B, Hd), outputs (B, S, 2He)
        embedded = self.dropout(self.embedding(y))
        a = self.attention(hidden, outputs, keys, mask)
        context = torch.bmm(a.unsqueeze(1), outputs).squeeze(1)
        out, h = self.rnn(torch.cat([embedded, context], dim=1).unsqueeze(0), hidden.unsqueeze(0))
        h = h.squeeze(0)
        return self.fc_out(torch.cat([h, context, embedded], dim=1)), h


class Seq2Seq(nn.Module):
    def __init__(self, src_vocab, tgt_vocab, emb, hidden, dropout, split):
        super().__init__()
        self.encoder = Encoder(src_vocab, emb, hidden, dropout)
        self.decoder = Decoder(tgt_vocab, emb, hidden, hidden, dropout, split)
        for name, p in self.named_parameters():  # notebook 3's init_weights
            if "weight" in name:
                nn.init.normal_(p, mean=0, std=0.01)
            else:
                nn.init.constant_(p, 0)

    def forward(self, src, lengths, tgt, teacher_forcing):  # tgt (T, B); logits for tgt[1:]
        outputs, hidden = self.encoder(src, lengths)
        outputs = outputs.transpose(0, 1).contiguous()  # (B, S, 2He)
        keys, mask = self.decoder.attention.keys(outputs), (src != PAD).T
        y, logits = tgt[0], []
        for t in range(1, tgt.shape[0]):
            out, hidden = self.decoder(y, hidden, outputs, keys, mask)
            logits.append(out)
            y = tgt[t] if random.random() < teacher_forcing else out.argmax(1)
        return torch.stack(logits)

    @torch.no_grad()
    def greedy(self, ids, max_steps=50):
        src = torch.tensor(ids).unsqueeze(1)
        outputs, hidden = self.encoder(src, torch.tensor([len(ids)]))
        outputs = outputs.transpose(0, 1).contiguous()
        keys, mask = self.decoder.attention.keys(outputs), torch.ones(1, len(ids), dtype=torch.bool)
        y, produced = torch.tensor([BOS]), []
        for _ in range(max_steps):
            out, hidden = self.decoder(y, hidden, outputs, keys, mask)
            y = out.argmax(1)
            produced.append(int(y))
            if produced[-1] == EOS:
                break
        return produced


def pad(rows):
    x = torch.full((max(len(r) for r in rows), len(rows)), PAD, dtype=torch.long)
    for b, r in enumerate(rows):
        x[:len(r), b] = torch.tensor(r)
    return x


def batches(pairs, size):
    while True:
        order = list(range(len(pairs)))
        random.shuffle(order)
        for i in range(0, len(order) - size + 1, size):
            chunk = [pairs[j] for j in order[i:i + size]]
            yield [s for s, _ in chunk], [t for _, t in chunk]


def train(args, model, pairs):
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss(ignore_index=PAD)
    model.train()

    def step(src_rows, tgt_rows):
        src, tgt = pad(src_rows), pad(tgt_rows)
        logits = model(src, torch.tensor([len(r) for r in src_rows]), tgt, args.teacher_forcing)
        loss = loss_fn(logits.reshape(-1, logits.shape[2]), tgt[1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        return loss.item()

    stream = batches(pairs, args.batch)
    step(*next(stream))  # warm-up
    n = src_tokens = tgt_tokens = 0
    start, cpu = time.perf_counter(), time.process_time()
    while time.perf_counter() - start < args.seconds:
        src_rows, tgt_rows = next(stream)
        loss = step(src_rows, tgt_rows)
        n += 1
        src_tokens += sum(len(r) for r in src_rows)
        tgt_tokens += sum(len(r) - 1 for r in tgt_rows)
    elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(f"seq2seq_train_batches: {n}")
    print(f"seq2seq_train_seconds: {elapsed:.2f}")
    print(f"seq2seq_train_cpu_seconds: {cpu:.2f}")
    print(f"seq2seq_train_last_loss: {loss:.3f}" if n else "seq2seq_train_last_loss: nan")
    print(f"seq2seq_train_target_tokens_per_s: {tgt_tokens / elapsed:.0f}")
    print(f"seq2seq_train_source_tokens_per_s: {src_tokens / elapsed:.0f}")


def greedy_latency(args, model, src_index):
    lines = read_lines(args.valid_source or args.source)
    sentences = [encode(s, src_index) for s in lines[:args.greedy_latency]]
    model.eval()
    for ids in sentences[:5]:
        model.greedy(ids)
    # Seven passes, the median reported, as `rnn bench seq2seq` does.
    passes = []
    for _ in range(7):
        steps = 0
        start, cpu = time.perf_counter(), time.process_time()
        for ids in sentences:
            steps += len(model.greedy(ids))
        passes.append((time.perf_counter() - start, time.process_time() - cpu))
    elapsed, cpu = sorted(passes)[len(passes) // 2]
    print(f"seq2seq_greedy_sentences: {len(sentences)}")
    print(f"seq2seq_greedy_steps_per_sentence: {steps / len(sentences):.1f}")
    print(f"seq2seq_greedy_ms_per_sentence: {elapsed / len(sentences) * 1e3:.2f}")
    print(f"seq2seq_greedy_cpu_ms_per_sentence: {cpu / len(sentences) * 1e3:.2f}")


def main():
    ap = argparse.ArgumentParser(description="PyTorch peer: attention seq2seq (notebook 3) training and greedy decoding.")
    ap.add_argument("--source", required=True, help="training source sentences, one per line")
    ap.add_argument("--target", required=True, help="training target sentences, line-aligned with --source")
    ap.add_argument("--valid-source", help="sentences for --greedy-latency (default: --source)")
    ap.add_argument("--seconds", type=float, default=20.0, help="training time after one warm-up batch; 0 skips")
    ap.add_argument("--greedy-latency", type=int, default=0, metavar="N")
    ap.add_argument("--embedding", type=int, default=256)
    ap.add_argument("--hidden", type=int, default=512, help="encoder hidden per direction = decoder hidden = attention")
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--dropout", type=float, default=0.5)
    ap.add_argument("--teacher-forcing", type=float, default=0.5)
    ap.add_argument("--split-attention", action="store_true",
                    help="compute the attention's key projection once per batch (same model, less work)")
    ap.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's own)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    if args.threads:
        torch.set_num_threads(args.threads)

    src_lines, tgt_lines = read_lines(args.source), read_lines(args.target)
    if len(src_lines) != len(tgt_lines):
        raise SystemExit(f"{args.source} has {len(src_lines)} lines, {args.target} {len(tgt_lines)}")
    src_index, tgt_index = vocabulary(src_lines), vocabulary(tgt_lines)
    pairs = [(encode(s, src_index), encode(t, tgt_index)) for s, t in zip(src_lines, tgt_lines)]
    model = Seq2Seq(len(src_index) + 4, len(tgt_index) + 4, args.embedding, args.hidden, args.dropout,
                    args.split_attention)
    print(f"seq2seq_threads: {torch.get_num_threads()}")
    print(f"seq2seq_pairs: {len(pairs)}")
    print(f"seq2seq_source_vocab: {len(src_index) + 4}")
    print(f"seq2seq_target_vocab: {len(tgt_index) + 4}")
    print(f"seq2seq_parameters: {sum(p.numel() for p in model.parameters())}")
    print(f"seq2seq_config: embedding {args.embedding}, hidden {args.hidden}, batch {args.batch}, attention "
          + ("split" if args.split_attention else "concat"))
    if args.greedy_latency:
        greedy_latency(args, model, src_index)
    if args.seconds > 0:
        train(args, model, pairs)


if __name__ == "__main__":
    main()
