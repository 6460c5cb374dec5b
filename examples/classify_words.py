#!/usr/bin/python3
"""examples/classify_words.cpp in PyTorch: the same data, split, vocabulary, initialisation,
batch order and model, so that the two accuracies can be compared (README; the ctest
examples/classify_words_test.sh runs both on a small configuration).

    /usr/bin/python3 examples/classify_words.py                       # BiLSTM, 12,000 words per language
    /usr/bin/python3 examples/classify_words.py --model transformer
"""
import argparse
import collections
import time

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils.rnn import pack_padded_sequence, pad_sequence

LANGUAGES = [("english", "american-english"), ("german", "ngerman"), ("french", "french"),
             ("spanish", "spanish"), ("italian", "italian"), ("portuguese", "portuguese")]
MAX_LENGTH = 64


def read_words(path):
    with open(path, encoding="utf-8", newline="\n") as f:
        words = {line[:-1] if line.endswith("\r") else line for line in f.read().split("\n")}
    words.discard("")
    return sorted(words)


def load_split(args):
    lists = [read_words(f"{args.dict}/{file}") for _, file in LANGUAGES]
    seen = collections.Counter(w for words in lists for w in words)
    gen = torch.Generator().manual_seed(args.seed)
    n_test = args.per_language // 10
    split = {"train": ([], []), "test": ([], [])}
    for k, words in enumerate(lists):
        unique = [w for w in words if seen[w] == 1]
        perm = torch.randperm(len(unique), generator=gen)[:args.per_language].tolist()
        for i, j in enumerate(perm):
            words_out, labels_out = split["test" if i < n_test else "train"]
            words_out.append(unique[j])
            labels_out.append(k)
    return split


def build_vocabulary(words):
    counts = collections.Counter(ch for w in words for ch in w)
    tokens = ["<pad>", "<unk>"] + [ch for ch, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]
    return {t: i for i, t in enumerate(tokens)}


def encode(vocab, word):
    return torch.tensor([vocab.get(ch, 1) for ch in word], dtype=torch.int64)


def bucket_batches(lengths, batch_size, gen, bucket_batches=50):
    """data::samplers::BucketSampler's order, cut into batches as the DataLoader cuts it."""
    order = torch.randperm(len(lengths), generator=gen).tolist()
    bucket = batch_size * bucket_batches
    batches = []
    for start in range(0, len(order), bucket):
        b = sorted(order[start:start + bucket], key=lambda i: -lengths[i])  # stable
        batches += [b[i:i + batch_size] for i in range(0, len(b), batch_size)]
    full = len(lengths) // batch_size
    perm = torch.randperm(full, generator=gen).tolist() if full > 0 else []
    fulls = [b for b in batches if len(b) == batch_size]
    return [fulls[k] for k in perm] + [b for b in batches if len(b) < batch_size]


class LSTMClassifier(nn.Module):
    def __init__(self, vocab, embed, hidden, classes):
        super().__init__()
        self.embed = nn.Embedding(vocab, embed, padding_idx=0)
        self.lstm = nn.LSTM(embed, hidden, batch_first=True, bidirectional=True)
        self.head = nn.Linear(2 * hidden, classes)

    def forward(self, tokens, lengths):
        packed = pack_padded_sequence(self.embed(tokens), lengths, batch_first=True, enforce_sorted=False)
        _, (h_n, _) = self.lstm(packed)
        return self.head(torch.cat([h_n[0], h_n[1]], 1))


class TransformerClassifier(nn.Module):
    def __init__(self, vocab, d_model, classes):
        super().__init__()
        self.embed = nn.Embedding(vocab, d_model, padding_idx=0)
        self.pos = nn.Embedding(MAX_LENGTH, d_model)
        layer = nn.TransformerEncoderLayer(d_model, 4, dim_feedforward=2 * d_model, dropout=0.1, batch_first=True)
        self.encoder = nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)
        self.head = nn.Linear(d_model, classes)

    def forward(self, tokens, lengths):
        padding = tokens.eq(0)
        x = self.embed(tokens) + self.pos(torch.arange(tokens.size(1)))
        y = self.encoder(x, None, padding)
        keep = padding.logical_not().unsqueeze(-1).to(y.dtype)
        return self.head((y * keep).sum(1) / lengths.unsqueeze(1).to(y.dtype))


def predict(model, vocab, words):
    model.eval()
    out = []
    with torch.no_grad():
        for start in range(0, len(words), 512):
            ids = [encode(vocab, w) for w in words[start:start + 512]]
            lengths = torch.tensor([len(t) for t in ids], dtype=torch.int64)
            out += model(pad_sequence(ids, batch_first=True), lengths).argmax(1).tolist()
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", default="lstm", choices=["lstm", "transformer"])
    p.add_argument("--per-language", type=int, default=12000)
    p.add_argument("--epochs", type=int, default=3)
    p.add_argument("--batch-size", type=int, default=64)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--embed", type=int, default=32)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--dict", default="/usr/share/dict")
    args = p.parse_args()
    torch.set_num_threads(args.threads)
    t0 = time.time()
    split = load_split(args)
    train_words, train_labels = split["train"]
    test_words, test_labels = split["test"]
    vocab = build_vocabulary(train_words)
    print(f"{len(train_words)} training and {len(test_words)} test words, {args.per_language} per language; "
          f"{len(vocab)} characters in the vocabulary")
    torch.manual_seed(args.seed)
    if args.model == "transformer":
        model = TransformerClassifier(len(vocab), args.embed, len(LANGUAGES))
    else:
        model = LSTMClassifier(len(vocab), args.embed, args.hidden, len(LANGUAGES))
    opt = torch.optim.Adam(model.parameters(), lr=args.lr)
    examples = [encode(vocab, w) for w in train_words]
    lengths = [len(t) for t in examples]
    gen = torch.Generator().manual_seed(args.seed + 1)
    accuracy = 0.0
    for epoch in range(1, args.epochs + 1):
        model.train()
        loss_sum, seen = 0.0, 0
        for batch in bucket_batches(lengths, args.batch_size, gen):
            tokens = pad_sequence([examples[i] for i in batch], batch_first=True)
            target = torch.tensor([train_labels[i] for i in batch], dtype=torch.int64)
            loss = F.cross_entropy(model(tokens, torch.tensor([lengths[i] for i in batch])), target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item() * len(batch)
            seen += len(batch)
        pred = predict(model, vocab, test_words)
        accuracy = sum(int(a == b) for a, b in zip(pred, test_labels)) / len(test_labels)
        print(f"epoch {epoch}: train loss {loss_sum / seen:.4f}, test accuracy {100 * accuracy:.2f}%")
    print(f"test accuracy {100 * accuracy:.2f}% ({args.model}, {args.epochs} epochs, {time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
