"""The common mistakes of students each fail the test cell of their part, and correct
implementations written differently keep full marks.

Each case edits a reference solution's cells (never a test cell) the way a student typically
gets the part wrong, runs the solution notebook's cells in this process up to that part's test
cell, then checks that part with its hidden tests as the grading checker does (through the
checker's messages, in this process) and expects it to fail. The unedited
solution passes every test cell: the batch of ``test_nbgrader_pipeline.py`` grades it at full
marks.
"""

from __future__ import annotations

from typing import NamedTuple

import matplotlib
import nbformat
import pytest

from grading import course
from grading.check.runner import Verdict
from tests.instructor import local_check
from tests.instructor.test_nbgrader_pipeline import training_test


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

MISTAKES += [
    # what the notebook forbids, used anyway: the call trace shows it, whatever the spelling
    Mistake(
        "a1_cnn",
        "naive convolution through torch.conv2d",
        (
            (
                'y[:, :, i, j] = torch.einsum("nckl,fckl->nf", patch, w)',
                "y[:, :, i, j] = torch.conv2d(patch, w)[:, :, 0, 0]",
            ),
        ),
        "test_conv2d_naive",
    ),
    Mistake(
        "a1_cnn",
        "im2col through torch.convolution",
        (
            (
                "y = w.reshape(F_out, -1) @ cols",
                "y = torch.convolution(x, w, None, [stride] * 2, [padding] * 2, [1, 1], False, "
                "[0, 0], 1).flatten(2)",
            ),
        ),
        "test_conv2d_im2col",
    ),
    Mistake(
        "a1_cnn",
        "im2col with a loop over the images",
        (
            (
                "y = w.reshape(F_out, -1) @ cols",
                "y = torch.stack([w.reshape(F_out, -1) @ cols[n] for n in range(N)])",
            ),
        ),
        "test_conv2d_im2col",
    ),
    Mistake(
        "a1_cnn",
        "max pooling through F.max_pool2d",
        (
            (
                "return cols.max(dim=1).values.view(N, C, H_out, W_out)",
                "return F.max_pool2d(x, kernel_size, stride)",
            ),
        ),
        "test_max_pool2d",
    ),
    Mistake(
        "a1_cnn",
        "input gradient through torch.nn.grad.conv2d_input",
        (
            (
                "dx = F.fold(dcols, (H, W), (KH, KW), padding=padding, stride=stride)",
                "dx = torch.nn.grad.conv2d_input(x.shape, w, dout, stride=stride, padding=padding)",
            ),
        ),
        "test_conv2d_backward",
    ),
    Mistake(
        "a1_cnn",
        "weight gradient through autograd",
        (
            (
                "dw = (dY @ cols.transpose(1, 2)).sum(dim=0).view_as(w)",
                "wr = w.detach().requires_grad_()\n    with torch.enable_grad():\n"
                "        ((wr.reshape(F_out, -1) @ cols) * dY).sum().backward()\n    dw = wr.grad",
            ),
        ),
        "test_conv2d_backward",
    ),
    Mistake(
        "a2_rnn",
        "the recurrence through torch.rnn_tanh_cell",
        (
            (
                "return torch.tanh(x_t @ W_xh.T + h @ W_hh.T + b_h)",
                "return torch.rnn_tanh_cell(x_t, h, W_xh, W_hh, b_h, torch.zeros_like(b_h))",
            ),
        ),
        "test_rnn_forward",
    ),
    Mistake(
        "a2_rnn",
        "the LSTM step through torch.lstm_cell",
        (
            (
                "        return h, c\n",
                "        return torch.lstm_cell(x, state, self.weight_ih, self.weight_hh, "
                "self.bias_ih, self.bias_hh)\n",
            ),
        ),
        "test_lstm_cell",
    ),
    Mistake(
        "a3_transformer",
        "the output through F.scaled_dot_product_attention",
        (
            (
                "return weights @ v, weights",
                "return F.scaled_dot_product_attention(q, k, v, attn_mask=mask), weights",
            ),
        ),
        "test_scaled_dot_product_attention",
    ),
    Mistake(
        "a4_generative",
        "the sample through torch.distributions.Normal.rsample",
        (("return mu + std * eps", "return torch.distributions.Normal(mu, std).rsample()"),),
        "test_reparameterize",
    ),
    Mistake(
        "a4_generative",
        "the KL divergence through torch.distributions",
        (
            (
                "return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)",
                "return torch.distributions.kl_divergence(torch.distributions.Normal(mu, (0.5 * "
                "logvar).exp()), torch.distributions.Normal(torch.zeros_like(mu), "
                "torch.ones_like(mu))).sum(-1)",
            ),
        ),
        "test_gaussian_kl",
    ),
    # device handling that a CPU-only grader cannot see (the tests use the meta device)
    Mistake(
        "a1_cnn",
        "the output allocated on the CPU",
        (("y = x.new_zeros(N, F_out, H_out, W_out)", "y = torch.zeros(N, F_out, H_out, W_out)"),),
        "test_conv2d_naive",
    ),
    Mistake(
        "a2_rnn",
        "the initial zeros allocated on the CPU",
        (
            (
                "h = x.new_zeros(B, W_hh.shape[0]) if h0 is None else h0",
                "h = torch.zeros(B, W_hh.shape[0]) if h0 is None else h0",
            ),
        ),
        "test_rnn_forward",
    ),
    Mistake(
        "a2_rnn",
        "the LSTM's initial state allocated on the CPU",
        (
            (
                "zeros = x.new_zeros(x.shape[0], self.hidden_size)",
                "zeros = torch.zeros(x.shape[0], self.hidden_size)",
            ),
        ),
        "test_lstm_cell",
    ),
    Mistake(
        "a3_transformer",
        "the causal mask ignores device=",
        (
            (
                "return torch.ones(T, T, dtype=torch.bool, device=device).tril()",
                "return torch.ones(T, T, dtype=torch.bool).tril()",
            ),
        ),
        "test_masks",
    ),
    Mistake(
        "a3_transformer",
        "the padding mask's positions on the CPU",
        (("positions = torch.arange(T, device=lengths.device)", "positions = torch.arange(T)"),),
        "test_masks",
    ),
    Mistake(
        "a3_transformer",
        "the positional table a plain attribute, not a buffer",
        (
            (
                'self.register_buffer("pe", sinusoidal_positional_encoding(seq_len, d_model))',
                "self.pe = sinusoidal_positional_encoding(seq_len, d_model)",
            ),
        ),
        "test_train_transformer",
    ),
    Mistake(
        "a4_generative",
        "the discriminator's labels on the CPU",
        (("torch.ones_like(real_logits)", "torch.ones(real_logits.shape)"),),
        "test_discriminator_loss",
    ),
    Mistake(
        "a4_generative",
        "the diffusion steps drawn on the CPU",
        (
            (
                "t = torch.randint(0, len(betas), (x0.shape[0],), device=x0.device)",
                "t = torch.randint(0, len(betas), (x0.shape[0],))",
            ),
        ),
        "test_diffusion_loss",
    ),
    # broken gradient paths with the right values
    Mistake(
        "a2_rnn",
        "the final state returned detached",
        (("return torch.stack(hs, dim=1), h  #", "return torch.stack(hs, dim=1), h.detach()  #"),),
        "test_rnn_forward",
    ),
    Mistake(
        "a2_rnn",
        "an LSTM weight used through .data",
        (("gates = x @ self.weight_ih.T", "gates = x @ self.weight_ih.data.T"),),
        "test_lstm_cell",
    ),
    Mistake(
        "a1_cnn",
        "a convolution's weight used through .data",
        (
            (
                "out = F.relu(self.bn1(self.conv1(x)))",
                "out = F.relu(self.bn1(F.conv2d(x, self.conv1.weight.data, "
                "stride=self.conv1.stride, padding=1)))",
            ),
        ),
        "test_residual_block",
    ),
    Mistake(
        "a3_transformer",
        "the attention weights returned detached",
        (("return weights @ v, weights", "return weights @ v, weights.detach()"),),
        "test_scaled_dot_product_attention",
    ),
    Mistake(
        "a3_transformer",
        "the output projection used through .data",
        (
            (
                "return self.out_proj(out)",
                "return F.linear(out, self.out_proj.weight.data, self.out_proj.bias)",
            ),
        ),
        "test_multi_head_attention",
    ),
    Mistake(
        "a4_generative",
        "the KL divergence computed in NumPy",
        (
            (
                "return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)",
                "import numpy as np\n\n    m, lv = mu.detach().cpu().numpy(), "
                "logvar.detach().cpu().numpy()\n    return torch.as_tensor(-0.5 * (1 + lv - m**2 - "
                "np.exp(lv)).sum(axis=-1), device=mu.device)",
            ),
        ),
        "test_gaussian_kl",
    ),
    Mistake(
        "a4_generative",
        "the negative ELBO rebuilt from .item()",
        (
            (
                "return (reconstruction + gaussian_kl(mu, logvar)).mean()",
                "return torch.tensor((reconstruction + gaussian_kl(mu, logvar)).mean().item())",
            ),
        ),
        "test_negative_elbo",
    ),
    # module wiring
    Mistake(
        "a1_cnn",
        "the first batch norm used in the place of the second",
        (("out = self.bn2(self.conv2(out))", "out = self.bn1(self.conv2(out))"),),
        "test_residual_block",
    ),
    Mistake(
        "a3_transformer",
        "the first layer norm used in the place of the second",
        (("return x + self.ff(self.ln2(x))", "return x + self.ff(self.ln1(x))"),),
        "test_transformer_block",
    ),
    # outputs that mean something else
    Mistake(
        "a1_cnn",
        "the classifier returns probabilities",
        (("nn.Linear(64, 10),  # (N, 10)", "nn.Linear(64, 10), nn.Softmax(dim=1),"),),
        "test_train_cnn",
    ),
    Mistake(
        "a3_transformer",
        "the sorting model returns probabilities",
        (("return self.head(self.ln(z))", "return self.head(self.ln(z)).softmax(-1)"),),
        "test_train_transformer",
    ),
    Mistake(
        "a4_generative",
        "the decoder returns probabilities",
        (
            (
                "return self.decoder(z).view(-1, 1, 8, 8)",
                "return torch.sigmoid(self.decoder(z)).view(-1, 1, 8, 8)",
            ),
        ),
        "test_train_vae",
    ),
    # state that is ignored
    Mistake(
        "a2_rnn",
        "the character model ignores the state it is given",
        (
            (
                "out, state = self.lstm(self.embed(x), state)",
                "out, state = self.lstm(self.embed(x))",
            ),
        ),
        "test_train_char_model",
    ),
]

# Correct implementations written differently from the reference: each keeps full marks.
VARIANTS = [
    Mistake(
        "a1_cnn",
        "output made with torch.zeros on x's device, products broadcast",
        (
            (
                "y = x.new_zeros(N, F_out, H_out, W_out)",
                "y = torch.zeros(N, F_out, H_out, W_out, device=x.device, dtype=x.dtype)",
            ),
            (
                'torch.einsum("nckl,fckl->nf", patch, w)',
                "(patch[:, None] * w[None]).sum(dim=(2, 3, 4))",
            ),
        ),
        "test_conv2d_naive",
    ),
    Mistake(
        "a1_cnn",
        "im2col with einsum",
        (
            (
                "y = w.reshape(F_out, -1) @ cols",
                'y = torch.einsum("fk,nkl->nfl", w.reshape(F_out, -1), cols)',
            ),
        ),
        "test_conv2d_im2col",
    ),
    Mistake(
        "a1_cnn",
        "pooling with amax",
        (("cols.max(dim=1).values", "cols.amax(dim=1)"),),
        "test_max_pool2d",
    ),
    Mistake(
        "a1_cnn",
        "backward with einsum",
        (
            ("db = dout.sum(dim=(0, 2, 3))", 'db = torch.einsum("nfij->f", dout)'),
            (
                "dw = (dY @ cols.transpose(1, 2)).sum(dim=0).view_as(w)",
                'dw = torch.einsum("nfl,nkl->fk", dY, cols).view_as(w)',
            ),
        ),
        "test_conv2d_backward",
    ),
    Mistake(
        "a1_cnn",
        "the second batch norm called functionally with its own parameters",
        (
            (
                "out = self.bn2(self.conv2(out))",
                "bn = self.bn2\n        out = F.batch_norm(self.conv2(out), bn.running_mean, "
                "bn.running_var, "
                "bn.weight, bn.bias, bn.training, bn.momentum, bn.eps)",
            ),
        ),
        "test_residual_block",
    ),
    Mistake(
        "a1_cnn",
        "the classifier ends with log-probabilities",
        (("nn.Linear(64, 10),  # (N, 10)", "nn.Linear(64, 10), nn.LogSoftmax(dim=1),"),),
        "test_train_cnn",
    ),
    Mistake(
        "a2_rnn",
        "zeros with torch.zeros on x's device",
        (
            (
                "h = x.new_zeros(B, W_hh.shape[0]) if h0 is None else h0",
                "h = torch.zeros(B, W_hh.shape[0], device=x.device) if h0 is None else h0",
            ),
        ),
        "test_rnn_forward",
    ),
    Mistake(
        "a2_rnn",
        "gates with F.linear",
        (
            (
                "gates = x @ self.weight_ih.T + self.bias_ih + h @ self.weight_hh.T + self.bias_hh",
                "gates = F.linear(x, self.weight_ih, self.bias_ih)"
                " + F.linear(h, self.weight_hh, self.bias_hh)",
            ),
        ),
        "test_lstm_cell",
    ),
    Mistake(
        "a2_rnn",
        "batchify with reshape and copies",
        (
            (
                "x = ids[: batch_size * L].view(batch_size, L)",
                "x = ids[: batch_size * L].reshape(batch_size, L).clone()",
            ),
        ),
        "test_batchify",
    ),
    Mistake(
        "a3_transformer",
        "softmax written out, stabilised",
        (
            (
                "weights = torch.softmax(scores, dim=-1)",
                "e = (scores - scores.amax(-1, keepdim=True)).exp()\n"
                "    weights = e / e.sum(-1, keepdim=True)",
            ),
        ),
        "test_scaled_dot_product_attention",
    ),
    Mistake(
        "a3_transformer",
        "causal mask by comparing positions; padding mask made on the CPU, then moved",
        (
            (
                "return torch.ones(T, T, dtype=torch.bool, device=device).tril()",
                "return torch.arange(T, device=device)[:, None] >= torch.arange(T, device=device)",
            ),
            (
                "return (positions[None, :] < lengths[:, None])[:, None, :]",
                "return (positions[None, :].cpu() < lengths[:, None].cpu())[:, None, :]"
                ".to(lengths.device)",
            ),
        ),
        "test_masks",
    ),
    Mistake(
        "a3_transformer",
        "the second layer norm called functionally with its own parameters",
        (
            (
                "return x + self.ff(self.ln2(x))",
                "return x + self.ff(F.layer_norm(x, self.ln2.normalized_shape, self.ln2.weight, "
                "self.ln2.bias, self.ln2.eps))",
            ),
        ),
        "test_transformer_block",
    ),
    Mistake(
        "a3_transformer",
        "the positional table an attribute moved in forward",
        (
            (
                'self.register_buffer("pe", sinusoidal_positional_encoding(seq_len, d_model))',
                "self.pe = sinusoidal_positional_encoding(seq_len, d_model)",
            ),
            ("z = self.embed(x) + self.pe[:T]", "z = self.embed(x) + self.pe[:T].to(x.device)"),
        ),
        "test_train_transformer",
    ),
    Mistake(
        "a4_generative",
        "losses with softplus",
        (
            (
                "real = F.binary_cross_entropy_with_logits(real_logits, "
                "torch.ones_like(real_logits))",
                "real = F.softplus(-real_logits).mean()",
            ),
            (
                "fake = F.binary_cross_entropy_with_logits(fake_logits, "
                "torch.zeros_like(fake_logits))",
                "fake = F.softplus(fake_logits).mean()",
            ),
        ),
        "test_discriminator_loss",
    ),
    Mistake(
        "a4_generative",
        "noise with torch.randn on mu's device",
        (
            (
                "eps = torch.randn_like(std)",
                "eps = torch.randn(std.shape, device=std.device, dtype=std.dtype)",
            ),
        ),
        "test_reparameterize",
    ),
    Mistake(
        "a4_generative",
        "the KL divergence rearranged",
        (
            (
                "return -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(dim=-1)",
                "return 0.5 * (mu**2 + torch.exp(logvar) - logvar - 1).sum(-1)",
            ),
        ),
        "test_gaussian_kl",
    ),
    Mistake(
        "a4_generative",
        "steps drawn on the CPU, then moved",
        (
            (
                "t = torch.randint(0, len(betas), (x0.shape[0],), device=x0.device)",
                "t = torch.randint(0, len(betas), (x0.shape[0],)).to(x0.device)",
            ),
        ),
        "test_diffusion_loss",
    ),
]


def run_to_test(mistake: Mistake) -> str | None:
    """Edit the solution as ``mistake`` says and check its part: the checker's message where
    the part failed, else None."""
    verdict, _ = run_test_cell(mistake)
    return None if verdict.passed else verdict.message


def run_test_cell(mistake: Mistake) -> tuple[Verdict, float | None]:
    """The checker's verdict on the part of ``mistake`` in the edited solution (its cells run up
    to that part's test, in this process), and the points of the part."""
    nb = nbformat.read(course.paths().source(mistake.assignment), 4)
    unused = dict(mistake.edits)
    points = None
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id") == mistake.test:
            points = meta.get("points")
        if cell.cell_type != "code" or not meta.get("solution"):
            continue
        for old, new in mistake.edits:
            if old in cell.source:
                cell.source = cell.source.replace(old, new)
                unused.pop(old, None)
    assert not unused, f"the solution no longer contains {list(unused)}: update the case"
    return local_check.check_part(nb, mistake.test), points


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


@pytest.mark.parametrize("variant", VARIANTS, ids=[f"{v.assignment}: {v.name}" for v in VARIANTS])
def test_a_correct_variant_keeps_full_marks(variant):
    verdict, points = run_test_cell(variant)
    assert verdict.passed, f"{variant.name}: {variant.test} failed: {verdict.message}"
    # a part with partial credit awards its points; it must award all of them
    assert verdict.points in (None, points), f"{variant.name}: {verdict.points} of {points} points"


CELLS = sorted({(m.assignment, m.test) for m in MISTAKES if m.test != training_test(m.assignment)})
"""The parts whose unedited solution is checked here; the training parts' reference runs are
graded by the sandboxed grader in the batch of each assignment (test_nbgrader_pipeline), which
awards them full marks, so they are not trained a second time here."""


@pytest.mark.parametrize("assignment, test", CELLS, ids=["/".join(cell) for cell in CELLS])
def test_the_unedited_solution_passes_the_same_cells(assignment, test):
    error = run_to_test(Mistake(assignment, "none", (), test))
    assert error is None, f"{assignment}, {test}: {error}"
