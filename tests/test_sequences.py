"""Tests of utils.sequences: generated tasks, the dates task, the corpus and tokenization."""

import datetime as dt
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import torch
from torch import nn

from utils import sequences, stdlib_corpus

ROOT = Path(__file__).resolve().parent.parent
BUNDLED = ROOT / "utils" / sequences.CORPUS_RESOURCE
# The corpus that chapters 5 and 7 and assignment 2 were measured on (Python 3.11's stdlib prose).
CORPUS_CHARS = 792_410
CORPUS_SHA256 = "b2bceb46e08cf206796586515b4143d7a44f204d2ac2bd575606ed7403c7e83f"

ORDINALS = """first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth
thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth
twenty-first twenty-second twenty-third twenty-fourth twenty-fifth twenty-sixth twenty-seventh
twenty-eighth twenty-ninth thirtieth thirty-first""".split()
MONTHS = "january february march april may june july august september october november december"
SMALL = ("textwrap", "heapq")  # two short modules: quick to read


@pytest.mark.parametrize("kind", sequences.TASKS)
def test_algorithmic_task_targets_are_correct(kind):
    x, y = sequences.algorithmic_task(kind, n=50, length=7, vocab=5, seed=1)
    assert x.shape == y.shape == (50, 7) and x.dtype == torch.int64
    assert 0 <= int(x.min()) and int(x.max()) <= 4
    expected = {"copy": lambda r: r, "reverse": lambda r: r[::-1], "sort": sorted}[kind]
    assert [expected(row) for row in x.tolist()] == y.tolist()


def test_algorithmic_task_depends_on_the_seed_only():
    torch.manual_seed(0)
    state = torch.random.get_rng_state()
    a = sequences.algorithmic_task("copy", 20, seed=5)
    assert torch.equal(torch.random.get_rng_state(), state)
    b = sequences.algorithmic_task("copy", 20, seed=5)
    c = sequences.algorithmic_task("copy", 20, seed=6)
    assert torch.equal(a[0], b[0])
    assert not torch.equal(a[0], c[0])


@pytest.mark.parametrize(
    ("kind", "n", "length", "vocab", "message"),
    [
        ("shuffle", 4, 8, 10, "unknown task 'shuffle'"),
        ("copy", 0, 8, 10, "need n >= 1, length >= 1, vocab >= 2; got 0, 8, 10"),
        ("copy", 4, 0, 10, "need n >= 1"),
        ("sort", 4, 8, 1, "need n >= 1"),
    ],
)
def test_algorithmic_task_rejects_bad_arguments(kind, n, length, vocab, message):
    with pytest.raises(ValueError, match=message):
        sequences.algorithmic_task(kind, n, length, vocab)


@pytest.mark.parametrize(
    ("date", "words"),
    [
        (dt.date(1999, 5, 1), "the first of may 1999"),
        (dt.date(2024, 3, 5), "the fifth of march 2024"),
        (dt.date(2001, 2, 22), "the twenty-second of february 2001"),
        (dt.date(1970, 6, 30), "the thirtieth of june 1970"),
        (dt.date(2010, 11, 11), "the eleventh of november 2010"),
        (dt.date(1987, 12, 12), "the twelfth of december 1987"),
        (dt.date(2020, 1, 20), "the twentieth of january 2020"),
        (dt.date(2033, 8, 31), "the thirty-first of august 2033"),
    ],
)
def test_date_in_words_examples(date, words):
    assert sequences.date_in_words(date) == words


def test_date_in_words_every_day_of_a_month():
    words = [sequences.date_in_words(dt.date(2000, 1, d)) for d in range(1, 32)]
    assert words == [f"the {o} of january 2000" for o in ORDINALS]


def _parse(words: str) -> dt.date:
    m = re.fullmatch(r"the ([a-z-]+) of ([a-z]+) (\d{4})", words)
    assert m is not None, words
    return dt.date(int(m[3]), MONTHS.split().index(m[2]) + 1, ORDINALS.index(m[1]) + 1)


def test_dates_task_is_reproducible_and_consistent():
    pairs = sequences.dates_task(200, seed=3, years=(1990, 1999))
    assert len(pairs) == 200
    assert pairs == sequences.dates_task(200, seed=3, years=(1990, 1999))
    assert pairs != sequences.dates_task(200, seed=4, years=(1990, 1999))
    for words, iso in pairs:
        date = dt.date.fromisoformat(iso)
        assert _parse(words) == date
        assert 1990 <= date.year <= 1999
    assert len({iso for _, iso in pairs}) > 150


@pytest.fixture(scope="module")
def corpus() -> str:
    return sequences.stdlib_text()


def test_stdlib_text_is_a_large_mostly_ascii_english_corpus(corpus):
    assert len(corpus) > 200_000
    assert sum(c.isascii() for c in corpus) / len(corpus) > 0.99
    words = re.findall(r"[a-z]+", corpus.lower())
    for common in ("the", "of", "and", "is", "return"):
        assert words.count(common) > 100


def test_stdlib_text_truncated_is_a_prefix_of_the_whole_text(corpus):
    for n in (1, 2_000, 300_000, len(corpus) + 5):
        assert sequences.stdlib_text(n) == corpus[:n]


def test_stdlib_text_is_the_bundled_corpus(corpus):
    assert len(corpus) == CORPUS_CHARS
    assert hashlib.sha256(corpus.encode("utf-8")).hexdigest() == CORPUS_SHA256
    assert gzip.decompress(BUNDLED.read_bytes()).decode("utf-8") == corpus


def test_a_missing_corpus_file_gets_a_clear_error(monkeypatch):
    monkeypatch.setattr(sequences, "CORPUS_RESOURCE", "corpus/no_such_file.txt.gz")
    sequences._bundled_text.cache_clear()
    try:
        with pytest.raises(FileNotFoundError, match="no_such_file.txt.gz is missing.*reinstall"):
            sequences.stdlib_text(10)
    finally:
        sequences._bundled_text.cache_clear()


# Reads the corpus with the standard library's source folder pointed at an empty folder, and
# records every file opened while it reads: the text must come from the bundled file alone.
NO_STDLIB = """
import hashlib, json, os, sys, sysconfig, tempfile
real_stdlib = sysconfig.get_paths()["stdlib"]
empty = tempfile.mkdtemp()
_get_paths = sysconfig.get_paths
def get_paths(*args, **kwargs):
    return {**_get_paths(*args, **kwargs), "stdlib": empty, "platstdlib": empty}
sysconfig.get_paths = get_paths
sysconfig.get_path = lambda name, *args, **kwargs: get_paths(*args, **kwargs)[name]
import importlib.readers, zipfile  # what reading a resource from a zip imports
import utils.sequences
opened = []
def watch(event, args):
    if event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        opened.append(os.path.abspath(os.fsdecode(args[0])))
sys.addaudithook(watch)
text = utils.sequences.stdlib_text()
print(json.dumps({"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(), "chars": len(text),
                  "opened": opened, "stdlib": real_stdlib, "utils": utils.__file__}))
"""


def _python(code: str, cwd: Path, path: Path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ITM528_")}
    env["PYTHONPATH"] = str(path)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.splitlines()[-1])


def test_the_corpus_never_comes_from_the_running_pythons_stdlib(tmp_path):
    report = _python(NO_STDLIB, tmp_path, ROOT)
    assert Path(report["utils"]).parent == ROOT / "utils"
    assert (report["sha256"], report["chars"]) == (CORPUS_SHA256, CORPUS_CHARS)
    assert str(BUNDLED) in report["opened"]
    stdlib = Path(report["stdlib"]).resolve()
    sources = [p for p in report["opened"] if Path(p).resolve().is_relative_to(stdlib)]
    assert sources == [], f"read from the standard library: {sources}"


def test_the_wheel_ships_the_corpus_and_reads_it(tmp_path):
    # Build from a copy, so the repository gets no build/ folder; no network, no isolation.
    src = tmp_path / "src"
    shutil.copytree(ROOT / "utils", src / "utils", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    build = "from setuptools import build_meta; print(build_meta.build_wheel(%r))"
    result = subprocess.run(
        [sys.executable, "-c", build % str(tmp_path / "dist")], cwd=src, capture_output=True,
        text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    wheel = tmp_path / "dist" / result.stdout.split()[-1]
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        assert {"utils/corpus/README.md", "utils/corpus/LICENSE-PSF.txt"} <= names
        assert archive.read("utils/" + sequences.CORPUS_RESOURCE) == BUNDLED.read_bytes()
    # The wheel itself on sys.path (a zip: read through importlib.resources, not a folder).
    report = _python(NO_STDLIB, tmp_path, wheel)
    assert report["utils"].startswith(str(wheel))
    assert (report["sha256"], report["chars"]) == (CORPUS_SHA256, CORPUS_CHARS)


def test_extract_stdlib_prose_is_deterministic_and_skips_missing_modules():
    text = stdlib_corpus.extract_stdlib_prose(SMALL)
    assert text and text == stdlib_corpus.extract_stdlib_prose(SMALL)
    assert "\n\n" in text and "Wrap" in text  # textwrap's docstrings
    assert stdlib_corpus.extract_stdlib_prose(("no_such_module", *SMALL)) == text
    with pytest.raises(FileNotFoundError, match="no standard-library sources"):
        stdlib_corpus.extract_stdlib_prose(("no_such_module",))


@pytest.mark.skipif(
    sys.version_info[:2] != stdlib_corpus.SOURCE_PYTHON, reason="the corpus comes from Python 3.11"
)
def test_the_bundled_corpus_is_what_this_python_extracts(corpus):
    # The first modules only: parsing all 49 takes seconds, and a prefix shows the same rules.
    prefix = stdlib_corpus.extract_stdlib_prose(stdlib_corpus.CORPUS_MODULES[:4])
    assert len(prefix) > 50_000 and corpus.startswith(prefix + "\n\n")


def test_write_corpus_gives_the_same_bytes_for_the_same_text(tmp_path):
    text = stdlib_corpus.extract_stdlib_prose(SMALL)
    first = stdlib_corpus.write_corpus(text, tmp_path / "a" / "corpus.txt.gz")
    second = stdlib_corpus.write_corpus(text, tmp_path / "b.txt.gz")
    assert first.read_bytes() == second.read_bytes()
    assert first.read_bytes()[4:8] == bytes(4)  # gzip's time stamp: none
    assert gzip.decompress(first.read_bytes()).decode("utf-8") == text


def test_the_rebuild_command_refuses_another_python(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(stdlib_corpus, "SOURCE_PYTHON", (2, 7))
    with pytest.raises(SystemExit):
        stdlib_corpus.main(["--output", str(tmp_path / "x.gz")])
    assert "comes from Python 2.7" in capsys.readouterr().err
    assert not (tmp_path / "x.gz").exists()


def test_char_tokenizer_round_trip():
    text = "hello, world"
    tok = sequences.CharTokenizer(text)
    assert len(tok) == len(set(text))
    assert tok.chars == sorted(set(text))
    ids = tok.encode("lower hello")
    assert ids.dtype == torch.int64 and ids.shape == (11,)
    assert tok.decode(ids) == "lower hello"
    assert tok.decode(ids.tolist()) == "lower hello"
    assert tok.encode("dlrow").tolist() == [tok.chars.index(c) for c in "dlrow"]


def test_char_tokenizer_errors():
    tok = sequences.CharTokenizer("abc")
    with pytest.raises(ValueError, match="characters not in the vocabulary: 'xz'"):
        tok.encode("zaxb")
    with pytest.raises(ValueError, match="needs a non-empty text"):
        sequences.CharTokenizer("")


def test_char_windows_targets_are_inputs_shifted_by_one():
    ids = torch.arange(100, 120)
    x, y = sequences.char_windows(ids, block_size=4)
    assert x.shape == y.shape == (4, 4)
    assert x[:, 0].tolist() == [100, 104, 108, 112]
    assert torch.equal(y, x + 1)
    x, y = sequences.char_windows(ids, block_size=5, stride=1)
    assert x.shape == (15, 5)
    assert torch.equal(x[:, 1:], y[:, :-1])
    assert int(y[-1, -1]) == 119


@pytest.mark.parametrize("ids", [torch.arange(4), torch.arange(12).view(3, 4)])
def test_char_windows_rejects_short_or_2d_ids(ids):
    with pytest.raises(ValueError, match="1-D id tensor longer than block_size=4"):
        sequences.char_windows(ids, block_size=4)


def test_bad_lengths_and_ids_are_rejected():
    tok = sequences.CharTokenizer("abc")
    with pytest.raises(ValueError, match="out of range"):
        tok.decode([0, 3])
    with pytest.raises(ValueError, match="out of range"):
        tok.decode([-1])
    with pytest.raises(ValueError, match="max_chars"):
        sequences.stdlib_text(max_chars=-5)
    with pytest.raises(ValueError, match="stride"):
        sequences.char_windows(torch.arange(20), 4, stride=0)


def test_char_corpus_splits_contiguously_and_covers_validation():
    corpus = sequences.char_corpus(max_chars=5_000, val_fraction=0.2)
    assert len(corpus.train) == 4_000 and len(corpus.val) == 1_000
    assert corpus.tokenizer.decode(torch.cat([corpus.train, corpus.val])) == sequences.stdlib_text(
        5_000
    )
    with pytest.raises(ValueError, match="strictly between 0 and 1"):
        sequences.char_corpus(max_chars=5_000, val_fraction=1.0)


def test_bigram_loss_matches_counting_by_hand():
    train = torch.tensor([0, 1, 0, 1, 0, 2])
    val = torch.tensor([0, 1, 1])
    # counts from train: 0->1 twice, 0->2 once, 1->0 twice; alpha = 1, vocab = 3
    p01 = (2 + 1) / (3 + 3)
    p11 = (0 + 1) / (2 + 3)
    expected = -(torch.tensor([p01, p11]).log().mean())
    assert sequences.bigram_loss(train, val, 3, alpha=1.0) == pytest.approx(float(expected))
    with pytest.raises(ValueError, match="ids outside 0..2"):
        sequences.bigram_loss(train, torch.tensor([0, 3]), 3)


def test_bigram_loss_beats_uniform_on_text():
    corpus = sequences.char_corpus(max_chars=20_000)
    loss = sequences.bigram_loss(corpus.train, corpus.val, len(corpus.tokenizer))
    assert loss < 0.8 * torch.log(torch.tensor(float(len(corpus.tokenizer))))


@pytest.mark.parametrize("cell", ["rnn", "gru", "lstm"])
def test_char_rnn_shapes_and_loss(cell):
    model = sequences.CharRNN(vocab_size=11, hidden=8, cell=cell, embed=4)
    x = torch.randint(0, 11, (3, 5))
    logits = model(x)
    assert logits.shape == (3, 5, 11)
    loss = sequences.lm_loss(logits, x)
    assert loss.item() == pytest.approx(float(torch.log(torch.tensor(11.0))), abs=0.5)
    with pytest.raises(ValueError, match=r"expects logits \(B, T, V\)"):
        sequences.lm_loss(logits[0], x)
    with pytest.raises(ValueError, match="unknown cell 'transformer'"):
        sequences.CharRNN(11, cell="transformer")


class _Fixed(nn.Module):
    """Always predicts the same next-id logits."""

    def __init__(self, scores):
        super().__init__()
        self.logits = nn.Parameter(torch.as_tensor(scores, dtype=torch.float32))

    def forward(self, x):
        return self.logits.expand(*x.shape, -1)


def test_generate_greedy_temperature_and_transform():
    model = _Fixed([0.0, 3.0, 1.0, 2.0])
    prompt = torch.tensor([0])
    assert sequences.generate(model, prompt, 4, temperature=0).tolist() == [0, 1, 1, 1, 1]
    gen = torch.Generator().manual_seed(0)
    ids = sequences.generate(model, prompt, 2_000, temperature=1.0, generator=gen)[1:]
    freq = torch.bincount(ids, minlength=4).float() / len(ids)
    expected = torch.tensor([0.0, 3.0, 1.0, 2.0]).softmax(0)
    assert torch.allclose(freq, expected, atol=0.03)

    def top2(logits):
        return logits.masked_fill(logits < logits.topk(2).values[-1], float("-inf"))

    ids = sequences.generate(model, prompt, 300, transform=top2, generator=gen, block_size=2)
    assert set(ids[1:].tolist()) == {1, 3}
    with pytest.raises(ValueError, match="temperature must be >= 0"):
        sequences.generate(model, prompt, 1, temperature=-1.0)
