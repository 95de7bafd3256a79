"""The common mistakes of students each fail the test cell of their part.

Each case edits a reference solution's cells (never a test cell) the way a student typically
gets the part wrong, runs the solution notebook's cells in this process up to that part's test
cell (visible and hidden tests, as nbgrader runs them) and expects that cell to fail. The unedited
solution passes every test cell: the batch of ``test_nbgrader_pipeline.py`` grades it at full
marks.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib
import nbformat
import pytest

from grading import course


class Mistake(NamedTuple):
    assignment: str
    name: str
    edits: tuple[tuple[str, str], ...]  # (text in the solution, what the student wrote instead)
    test: str  # the grade id of the test cell that must fail


MISTAKES = [
    Mistake("a1_cnn", "stride ignored when cutting the patches",
            (("xp[:, :, i * stride : i * stride + KH, j * stride : j * stride + KW]",
              "xp[:, :, i : i + KH, j : j + KW]"),), "test_conv2d_naive"),
    Mistake("a1_cnn", "bias forgotten",
            (("y = y + b.view(1, F_out, 1)", "y = y"),), "test_conv2d_im2col"),
    Mistake("a1_cnn", "weight gradient not summed over the batch",
            (("(dY @ cols.transpose(1, 2)).sum(dim=0)", "(dY @ cols.transpose(1, 2))[0]"),),
            "test_conv2d_backward"),
    Mistake("a2_rnn", "hidden state not detached between chunks",
            (("tuple(s.detach() for s in state)", "tuple(state)"),), "test_train_tbptt"),
    Mistake("a2_rnn", "gradient not clipped",
            (("nn.utils.clip_grad_norm_(model.parameters(), max_norm)", "pass"),),
            "test_train_tbptt"),
    Mistake("a2_rnn", "temperature multiplied instead of divided",
            (("torch.softmax(logits / temperature, dim=-1)",
              "torch.softmax(logits * temperature, dim=-1)"),), "test_sample_next"),
    Mistake("a2_rnn", "the initial hidden state ignored",
            (("h = x.new_zeros(B, W_hh.shape[0]) if h0 is None else h0",
              "h = x.new_zeros(B, W_hh.shape[0])"),), "test_rnn_forward"),
    Mistake("a3_transformer", "missing 1/sqrt(d_k)",
            (("q @ k.transpose(-2, -1) / math.sqrt(d_k)", "q @ k.transpose(-2, -1)"),),
            "test_scaled_dot_product_attention"),
    Mistake("a3_transformer", "softmax over the wrong axis",
            (("torch.softmax(scores, dim=-1)", "torch.softmax(scores, dim=-2)"),),
            "test_scaled_dot_product_attention"),
    Mistake("a3_transformer", "mask applied the wrong way",
            (("scores.masked_fill(~mask,", "scores.masked_fill(mask,"),),
            "test_scaled_dot_product_attention"),
    Mistake("a3_transformer", "causal mask that lets queries see the future",
            (("device=device).tril()  # (T, T)", "device=device).triu()  # (T, T)"),),
            "test_masks"),
    Mistake("a3_transformer", "sine and cosine columns swapped",
            (("pe[:, 0::2] = torch.sin(angle)", "pe[:, 0::2] = torch.cos(angle)"),
             ("pe[:, 1::2] = torch.cos(angle)", "pe[:, 1::2] = torch.sin(angle)")),
            "test_sinusoidal_positional_encoding"),
    Mistake("a4_generative", "wrong KL sign",
            (("return -0.5 * (1 + logvar", "return 0.5 * (1 + logvar"),), "test_gaussian_kl"),
    Mistake("a4_generative", "swapped real/fake labels",
            (("(real_logits, torch.ones_like(", "(real_logits, torch.zeros_like("),
             ("(fake_logits, torch.zeros_like(", "(fake_logits, torch.ones_like(")),
            "test_discriminator_loss"),
    Mistake("a4_generative", "minimax instead of non-saturating generator loss",
            (("return F.binary_cross_entropy_with_logits(fake_logits, torch.ones_like(",
              "return -F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like("),),
            "test_generator_loss"),
    Mistake("a4_generative", "standard deviation taken as exp(logvar)",
            (("std = torch.exp(0.5 * logvar)", "std = torch.exp(logvar)"),), "test_reparameterize"),
    Mistake("a4_generative", "alpha_t used instead of the cumulative alpha-bar",
            (("abar = alphas_bar[t]", "abar = (1 - betas)[t]"),), "test_q_sample"),
    Mistake("a4_generative", "the model asked to predict x0 instead of the noise",
            (("F.mse_loss(model(x_t, t), noise)", "F.mse_loss(model(x_t, t), x0)"),),
            "test_diffusion_loss"),
]  # fmt: skip


def run_to_test(mistake: Mistake) -> BaseException | None:
    """Run the edited solution up to the test cell of ``mistake``; what that cell raised."""
    nb = nbformat.read(course.SOURCE / mistake.assignment / f"{mistake.assignment}.ipynb", 4)
    unused = dict(mistake.edits)
    namespace: dict[str, object] = {"__name__": "__main__"}
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        source, meta = cell.source, cell.metadata.get("nbgrader", {})
        for old, new in mistake.edits:
            if old in source and meta.get("solution"):
                source = source.replace(old, new)
                unused.pop(old, None)
        code = compile(source, meta.get("grade_id", "cell"), "exec")
        if meta.get("grade_id") == mistake.test:
            assert not unused, f"the solution no longer contains {list(unused)}: update the case"
            try:
                exec(code, namespace)
            except Exception as err:  # noqa: BLE001 - a failing check is what we look for
                return err
            return None
        exec(code, namespace)
    raise AssertionError(f"no test cell {mistake.test!r} in {mistake.assignment}")


@pytest.fixture(autouse=True)
def _no_windows(monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    matplotlib.use("Agg")
    yield
    matplotlib.pyplot.close("all")


@pytest.mark.parametrize("mistake", MISTAKES, ids=[f"{m.assignment}: {m.name}" for m in MISTAKES])
def test_common_mistake_fails_its_test(mistake):
    # any exception fails the cell, and a failing test cell scores 0 in nbgrader
    assert run_to_test(mistake) is not None, f"{mistake.name}: {mistake.test} passed"


CELLS = sorted({(m.assignment, m.test) for m in MISTAKES})


@pytest.mark.parametrize("assignment, test", CELLS, ids=["/".join(cell) for cell in CELLS])
def test_the_unedited_solution_passes_the_same_cells(assignment, test):
    error = run_to_test(Mistake(assignment, "none", (), test))
    assert error is None, f"{assignment}, {test}: {type(error).__name__}: {error}"
