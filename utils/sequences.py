"""Sequence data that works offline: generated tasks and an English text corpus.

* :func:`algorithmic_task` - digit sequences to copy, reverse or sort (Transformer chapters).
* :func:`dates_task` - dates written in words and their ISO form (seq2seq with attention).
* :func:`stdlib_text` - the English docstrings and comments of Python's standard library, a corpus
  bundled with the package, so the same text on every Python (character and BPE language models).
* :class:`CharTokenizer` and :func:`char_windows` - characters to ids and training windows.
* :func:`char_corpus`, :func:`bigram_loss`, :class:`CharRNN`, :func:`lm_loss` and :func:`generate` -
  the character language-model baselines and tools that the RNN and GPT chapters share, so that
  both compare their models on the same validation text.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import gzip
from collections.abc import Callable, Sequence
from importlib import resources
from typing import NamedTuple

import torch
import torch.nn.functional as F
from torch import nn

TASKS = ("copy", "reverse", "sort")

CORPUS_RESOURCE = "corpus/stdlib_prose.txt.gz"
"""The corpus of :func:`stdlib_text`, a file inside the package (see utils/corpus/README.md)."""


def algorithmic_task(
    kind: str, n: int, length: int = 8, vocab: int = 10, seed: int = 0
) -> tuple[torch.Tensor, torch.Tensor]:
    """``n`` random digit sequences ``x`` (n, length) and their targets ``y`` (n, length).

    ``kind`` is ``copy`` (y = x), ``reverse`` (y = x backwards) or ``sort`` (y = sorted x).
    Tokens are ``0 .. vocab-1``; the generator is local, so the data depends on ``seed`` only.
    """
    if kind not in TASKS:
        raise ValueError(f"unknown task {kind!r}; choose one of {TASKS}")
    if n < 1 or length < 1 or vocab < 2:
        raise ValueError(f"need n >= 1, length >= 1, vocab >= 2; got {n}, {length}, {vocab}")
    gen = torch.Generator().manual_seed(seed)
    x = torch.randint(0, vocab, (n, length), generator=gen)  # (n, length)
    if kind == "copy":
        return x, x.clone()
    if kind == "reverse":
        return x, x.flip(1)
    return x, x.sort(dim=1).values


_ONES = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen \
fifteen sixteen seventeen eighteen nineteen".split()
_TENS = "twenty thirty".split()


def _ordinal(day: int) -> str:
    words = _ONES[day] if day < 20 else _TENS[day // 10 - 2]
    words += "-" + _ONES[day % 10] if day >= 20 and day % 10 else ""
    for plain, nth in (("one", "first"), ("two", "second"), ("three", "third"), ("five", "fifth"),
                       ("eight", "eighth"), ("nine", "ninth"), ("twelve", "twelfth")):  # fmt: skip
        if words.endswith(plain):
            return words[: -len(plain)] + nth
    return words[:-1] + "ieth" if words.endswith("y") else words + "th"


def date_in_words(date: dt.date) -> str:
    """``2024-03-05`` -> ``"the fifth of march 2024"``."""
    return f"the {_ordinal(date.day)} of {calendar.month_name[date.month].lower()} {date.year}"


def dates_task(
    n: int, seed: int = 0, years: tuple[int, int] = (1950, 2049)
) -> list[tuple[str, str]]:
    """``n`` pairs (date in words, ISO date), e.g. ("the first of may 1999", "1999-05-01")."""
    gen = torch.Generator().manual_seed(seed)
    start, stop = dt.date(years[0], 1, 1).toordinal(), dt.date(years[1], 12, 31).toordinal()
    days = torch.randint(start, stop + 1, (n,), generator=gen).tolist()
    return [(date_in_words(d), d.isoformat()) for d in map(dt.date.fromordinal, days)]


def stdlib_text(max_chars: int | None = None) -> str:
    """English prose from Python's standard library: the docstrings and comments of 49 modules.

    792,410 characters, extracted once from Python 3.11 and bundled with the package (no network,
    and the same text whatever Python runs this). ``max_chars`` keeps only the first
    ``max_chars`` characters. :mod:`utils.stdlib_corpus` is how the file was built.
    """
    if max_chars is not None and max_chars < 1:
        raise ValueError(f"max_chars must be a positive int or None, got {max_chars}")
    text = _bundled_text()
    return text[:max_chars] if max_chars is not None else text


@functools.cache
def _bundled_text() -> str:
    """The bundled corpus, decompressed once per process."""
    source = resources.files("utils").joinpath(CORPUS_RESOURCE)
    try:
        data = source.read_bytes()
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the bundled corpus {CORPUS_RESOURCE} is missing from the utils package at "
            f"{resources.files('utils')}: reinstall the package (pip install git+<repository url>)"
        ) from None
    return gzip.decompress(data).decode("utf-8")


class CharTokenizer:
    """Characters to integer ids and back; the vocabulary is the sorted set of seen characters."""

    def __init__(self, text: str) -> None:
        if not text:
            raise ValueError("CharTokenizer needs a non-empty text to build its vocabulary")
        self.chars = sorted(set(text))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def __len__(self) -> int:
        return len(self.chars)

    def encode(self, text: str) -> torch.Tensor:
        """The ids (len(text),) of ``text``'s characters."""
        unknown = sorted(set(text) - self.index.keys())
        if unknown:
            raise ValueError(f"characters not in the vocabulary: {''.join(unknown)!r}")
        return torch.tensor([self.index[c] for c in text], dtype=torch.int64)

    def decode(self, ids: torch.Tensor | Sequence[int]) -> str:
        """The text of a sequence of ids."""
        flat = torch.as_tensor(ids).flatten().tolist()
        bad = [i for i in flat if not 0 <= i < len(self.chars)]
        if bad:
            raise ValueError(f"ids out of range 0..{len(self.chars) - 1}: {bad[:5]}")
        return "".join(self.chars[i] for i in flat)


def char_windows(ids: torch.Tensor, block_size: int, stride: int | None = None):
    """Inputs and next-character targets: windows ``x`` (N, block_size) and ``y`` shifted by one."""
    if ids.dim() != 1 or len(ids) <= block_size:
        raise ValueError(f"need a 1-D id tensor longer than block_size={block_size}")
    if stride is not None and stride < 1:
        raise ValueError(f"stride must be a positive int or None, got {stride}")
    stride = stride or block_size
    index = torch.arange(0, len(ids) - block_size, stride)[:, None] + torch.arange(block_size)
    return ids[index], ids[index + 1]  # x and y: (N, block_size) each


class CharCorpus(NamedTuple):
    """A character corpus: its tokenizer and the ids of the training and validation text."""

    tokenizer: CharTokenizer
    train: torch.Tensor
    val: torch.Tensor


def char_corpus(max_chars: int = 300_000, val_fraction: float = 0.1) -> CharCorpus:
    """The first ``max_chars`` characters of :func:`stdlib_text` as ids; the last ``val_fraction``
    of them (a contiguous stretch, never seen in training) is the validation text.

    The tokenizer covers the whole text, so every validation character has an id.
    """
    if not 0.0 < val_fraction < 1.0:
        raise ValueError(f"val_fraction must lie strictly between 0 and 1, got {val_fraction}")
    text = stdlib_text(max_chars)
    tokenizer = CharTokenizer(text)
    ids = tokenizer.encode(text)
    cut = int(len(ids) * (1.0 - val_fraction))
    return CharCorpus(tokenizer, ids[:cut], ids[cut:])


def bigram_loss(
    train: torch.Tensor, val: torch.Tensor, vocab_size: int, alpha: float = 0.1
) -> float:
    """Validation cross-entropy (nats per character) of a bigram model counted on ``train``.

    P(next = j | current = i) = (count(i, j) + alpha) / (count(i) + alpha * vocab_size): the best a
    model that sees one character of context can do, up to the smoothing ``alpha``.
    """
    for name, ids in (("train", train), ("val", val)):
        if ids.dim() != 1 or len(ids) < 2:
            raise ValueError(f"{name} must be a 1-D id tensor with at least 2 ids")
        if int(ids.min()) < 0 or int(ids.max()) >= vocab_size:
            raise ValueError(f"{name} has ids outside 0..{vocab_size - 1}")
    counts = torch.zeros(vocab_size, vocab_size, dtype=torch.float64)
    counts.index_put_((train[:-1], train[1:]), torch.ones(len(train) - 1, dtype=torch.float64),
                      accumulate=True)  # fmt: skip
    log_probs = (counts + alpha).log() - (counts.sum(1, keepdim=True) + alpha * vocab_size).log()
    return float(-log_probs[val[:-1], val[1:]].mean())


class CharRNN(nn.Module):
    """A character language model: embedding -> ``nn.RNN``/``nn.GRU``/``nn.LSTM`` -> logits.

    ``forward(x)`` maps ids (B, T) to next-character logits (B, T, vocab_size).
    """

    CELLS = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}

    def __init__(
        self, vocab_size: int, hidden: int = 256, layers: int = 1, cell: str = "lstm",
        embed: int = 64,
    ) -> None:  # fmt: skip
        super().__init__()
        if cell not in self.CELLS:
            raise ValueError(f"unknown cell {cell!r}; choose one of {tuple(self.CELLS)}")
        self.embed = nn.Embedding(vocab_size, embed)
        self.rnn = self.CELLS[cell](embed, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.embed(x))  # (B, T, hidden)
        return self.head(out)  # (B, T, vocab_size)


def lm_loss(logits: torch.Tensor, targets: torch.Tensor) -> torch.Tensor:
    """Mean next-token cross-entropy of logits (B, T, V) against targets (B, T)."""
    if logits.dim() != 3 or logits.shape[:2] != targets.shape:
        raise ValueError(
            f"lm_loss expects logits (B, T, V) and targets (B, T); got {tuple(logits.shape)} "
            f"and {tuple(targets.shape)}"
        )
    return F.cross_entropy(logits.flatten(0, 1), targets.flatten())


@torch.no_grad()
def generate(
    model: nn.Module,
    prompt: torch.Tensor,
    n: int,
    temperature: float = 1.0,
    transform: Callable[[torch.Tensor], torch.Tensor] | None = None,
    block_size: int | None = None,
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """Extend the id sequence ``prompt`` (T,) by ``n`` ids sampled from ``model`` one at a time.

    The next-id distribution is softmax(logits / temperature); ``temperature=0`` picks the most
    likely id (greedy). ``transform(logits)`` may edit the scaled logits (V,) first, e.g. keep the
    top k. Only the last ``block_size`` ids are fed to the model, if given. Returns (T + n,) ids.
    """
    if prompt.dim() != 1 or len(prompt) == 0:
        raise ValueError("prompt must be a non-empty 1-D tensor of ids")
    if temperature < 0:
        raise ValueError(f"temperature must be >= 0, got {temperature}")
    param = next(model.parameters(), None)
    device = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    ids = prompt.to(device)
    for _ in range(n):
        context = ids if block_size is None else ids[-block_size:]
        logits = model(context[None])[0, -1].float()  # (V,)
        if temperature == 0:
            nxt = logits.argmax()
        else:
            logits = logits / temperature
            if transform is not None:
                logits = transform(logits)
            probs = logits.softmax(-1).cpu()
            nxt = torch.multinomial(probs, 1, generator=generator)[0].to(device)
        ids = torch.cat([ids, nxt.view(1)])
    model.train(was_training)
    return ids.cpu()
