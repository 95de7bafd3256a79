"""Draw the book's schematic diagrams as SVG files next to this script.

Usage: ``python book/figures/draw.py`` rewrites every ``*.svg`` of this folder. The drawings are
code so that they stay diffable and share one style: boxes for operations, coloured by kind,
arrows for the flow of tensors, text kept as text (searchable, sharp at any size, in print too).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent
OUT = HERE  # where save() writes; the tests redraw into a folder of their own
COLOURS = {  # one colour per kind of operation, the same in every diagram
    "conv": "#cfe2f3",  # convolutions and linear maps
    "norm": "#fff2cc",  # normalisation, activations, pooling
    "merge": "#d9ead3",  # sums, concatenations, products
    "attn": "#f4cccc",  # attention
    "data": "#eeeeee",  # inputs, outputs, tensors
    "net": "#d9d2e9",  # whole networks
}
plt.rcParams.update(
    {
        "svg.fonttype": "none",  # text stays text
        "svg.hashsalt": "itm528",  # stable ids, so that a redraw without changes is no diff
        "font.family": "DejaVu Sans",
        "font.size": 10,
    }
)


def canvas(width: float, height: float):
    """A figure of width x height inches whose axes run in the same units, without frame."""
    fig = plt.figure(figsize=(width, height))
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set(xlim=(0, width), ylim=(0, height))
    ax.axis("off")
    return fig, ax


def box(ax, x, y, text, kind="conv", w=1.5, h=0.42, size=9):
    """A rounded box centred at (x, y); returns its centre and half sizes for arrows."""
    ax.add_patch(
        FancyBboxPatch(
            (x - w / 2, y - h / 2),
            w,
            h,
            boxstyle="round,pad=0.02,rounding_size=0.08",
            facecolor=COLOURS[kind],
            edgecolor="#444444",
            linewidth=1,
        )
    )
    ax.text(x, y, text, ha="center", va="center", fontsize=size)
    return (x, y, w / 2, h / 2)


def circle(ax, x, y, text, r=0.16):
    """A small circle for an elementwise operation (+, ×, σ)."""
    ax.add_patch(plt.Circle((x, y), r, facecolor=COLOURS["merge"], edgecolor="#444444", lw=1))
    ax.text(x, y, text, ha="center", va="center", fontsize=10)
    return (x, y, r, r)


def edge(b, toward):
    """The point on the border of box b = (x, y, half w, half h) in the direction of toward."""
    x, y, hw, hh = b
    dx, dy = toward[0] - x, toward[1] - y
    if dx == 0 and dy == 0:
        return x, y
    scale = min(hw / abs(dx) if dx else float("inf"), hh / abs(dy) if dy else float("inf"))
    return x + dx * scale, y + dy * scale


def arrow(ax, a, b, text=None, rad=0.0, style="-|>", colour="#333333", ls="-"):
    """An arrow from box (or point) a to box (or point) b, with an optional label."""
    pa = a[:2] if len(a) == 2 else edge(a, b[:2])
    pb = b[:2] if len(b) == 2 else edge(b, a[:2])
    ax.add_patch(
        FancyArrowPatch(
            pa,
            pb,
            arrowstyle=style,
            mutation_scale=11,
            color=colour,
            lw=1.1,
            linestyle=ls,
            connectionstyle=f"arc3,rad={rad}",
            shrinkA=0,
            shrinkB=0,
        )
    )
    if text:
        mx, my = (pa[0] + pb[0]) / 2, (pa[1] + pb[1]) / 2
        ax.text(mx + 0.06, my, text, fontsize=8, color="#333333", ha="left", va="center")


def path(ax, points, colour="#333333", ls="-"):
    """A polyline through points whose last segment ends in an arrow head."""
    for p, q in zip(points[:-2], points[1:-1]):
        ax.plot([p[0], q[0]], [p[1], q[1]], color=colour, lw=1.1, ls=ls)
    arrow(ax, points[-2], points[-1], colour=colour, ls=ls)


def title(ax, x, y, text, size=10):
    ax.text(x, y, text, ha="center", va="center", fontsize=size, fontweight="bold")


def save(fig, name):
    fig.savefig(OUT / f"{name}.svg", metadata={"Date": None, "Creator": None})
    plt.close(fig)


# The diagrams ------------------------------------------------------------------------------


def inception():
    fig, ax = canvas(7.2, 3.6)
    x_in = box(ax, 3.6, 0.4, "input (B, C, H, W)", "data", w=2.2)
    xs = [0.95, 2.7, 4.5, 6.25]
    first = [
        ("1×1 conv", "conv"),
        ("1×1 conv", "conv"),
        ("1×1 conv", "conv"),
        ("3×3 max pool", "norm"),
    ]
    second = [None, ("3×3 conv", "conv"), ("5×5 conv", "conv"), ("1×1 conv", "conv")]
    labels = ["c1", "c3[1]", "c5[1]", "c_pool"]
    cat = box(ax, 3.6, 2.75, "concatenate along channels", "merge", w=3.4)
    for x, f, s, label in zip(xs, first, second, labels):
        b1 = box(ax, x, 1.25 if s is not None else 1.95, f[0], f[1], w=1.45)
        if s is None:  # around the other branches, not through them
            path(ax, [(x_in[0] - x_in[2], x_in[1]), (x, x_in[1]), (x, 1.95 - 0.21)])
        else:
            arrow(ax, x_in, b1)
        top = b1
        if s is not None:
            b2 = box(ax, x, 1.95, s[0], s[1], w=1.45)
            arrow(ax, b1, b2)
            top = b2
        arrow(ax, top, cat, text=label)
    out = box(ax, 3.6, 3.35, "output (B, c1 + c3[1] + c5[1] + c_pool, H, W)", "data", w=4.4)
    arrow(ax, cat, out)
    ax.text(4.85, 0.3, "bottleneck 1×1 convolutions\nkeep the large kernels cheap", fontsize=7.5,
            color="#555555", va="center")  # fmt: skip
    save(fig, "inception")


def residual_block():
    fig, ax = canvas(7.4, 4.2)
    for x0, projection in [(1.9, False), (5.5, True)]:
        title(ax, x0, 4.0, "with a projection shortcut" if projection else "identity shortcut")
        shape_in = "(B, C, H, W)" if not projection else "(B, C, H, W)"
        x = box(ax, x0, 0.35, f"x {shape_in}", "data", w=1.9)
        c1 = box(ax, x0, 1.05, "3×3 conv" + (", stride s" if projection else ""), "conv", w=1.9)
        n1 = box(ax, x0, 1.6, "BN, ReLU", "norm", w=1.9)
        c2 = box(ax, x0, 2.15, "3×3 conv", "conv", w=1.9)
        n2 = box(ax, x0, 2.7, "BN", "norm", w=1.9)
        plus = circle(ax, x0, 3.25, "+")
        relu = box(ax, x0 + 1.05, 3.7, "ReLU → y", "norm", w=1.1, h=0.34)
        for a, b in [(x, c1), (c1, n1), (n1, c2), (c2, n2), (n2, plus)]:
            arrow(ax, a, b)
        arrow(ax, plus, relu)
        side = x0 - 1.5
        if projection:
            proj = box(ax, side, 1.85, "1×1 conv,\nstride s, BN", "conv", w=1.05, h=0.6, size=8)
            path(ax, [(x0 - 0.95, 0.35), (side, 0.35), (side, 1.55)])
            path(ax, [(side, 2.15), (side, 3.25), (x0 - 0.16, 3.25)])
            ax.text(x0 + 1.0, 1.05, "C or H, W\nchange", fontsize=7.5, color="#555555",
                    va="center")  # fmt: skip
            del proj
        else:
            path(ax, [(x0 - 0.95, 0.35), (side, 0.35), (side, 3.25), (x0 - 0.16, 3.25)])
            ax.text(side + 0.08, 1.8, "identity: x", fontsize=8, rotation=90, va="center")
        ax.text(x0 + 1.0, 2.4, "F(x)", fontsize=9, style="italic", va="center")
    save(fig, "residual_block")


def dense_block():
    fig, ax = canvas(7.4, 2.6)
    xs = [0.7, 2.3, 3.9, 5.5]
    names = ["x₀ (c_in)", "x₁ (k)", "x₂ (k)", "x₃ (k)"]
    boxes = [box(ax, xs[0], 1.2, names[0], "data", w=1.1)]
    for i in range(1, 4):
        h = box(ax, xs[i] - 0.55, 2.1, f"H{i}: BN-ReLU-\n3×3 conv", "conv", w=1.15, h=0.55, size=8)
        out = box(ax, xs[i], 1.2, names[i], "data", w=1.0)
        for j, prev in enumerate(boxes):  # every earlier feature map reaches H_i
            arrow(
                ax,
                prev,
                h,
                rad=-0.15 if j < i - 1 else 0.0,
                colour="#2b6cb0" if j < i - 1 else "#333333",
            )
        arrow(ax, h, out)
        boxes.append(out)
    cat = box(ax, 6.85, 1.2, "concat:\nc_in + 3k", "merge", w=0.95, h=0.6, size=8)
    for b in boxes[:-1]:
        path(ax, [(b[0], b[1] - b[3]), (b[0], 0.35), (6.85, 0.35), (6.85, 0.9)], colour="#888888")
    arrow(ax, boxes[-1], cat)
    ax.text(0.1, 0.1, "each layer sees the concatenation of all earlier maps and adds k = growth "
            "channels", fontsize=7.5, color="#555555")  # fmt: skip
    save(fig, "dense_block")


def lstm_cell():
    fig, ax = canvas(7.4, 4.0)
    c_prev, c_next = (0.3, 3.4), (7.1, 3.4)
    h_prev, x_t = (0.3, 0.9), (0.3, 0.35)
    cat = box(ax, 1.3, 0.62, "[h_{t-1}, x_t]", "data", w=1.3)
    arrow(ax, h_prev, cat)
    arrow(ax, x_t, cat)
    ax.text(0.05, 0.9, "h_{t-1}", fontsize=8, va="bottom")
    ax.text(0.05, 0.35, "x_t", fontsize=8, va="bottom")
    gates = [("f_t = σ(·)", 2.3, "forget"), ("i_t = σ(·)", 3.5, "input"),
             ("g_t = tanh(·)", 4.7, "candidate"), ("o_t = σ(·)", 5.9, "output")]  # fmt: skip
    g = {}
    for text, x, name in gates:
        g[name] = box(ax, x, 1.5, text, "conv", w=1.1, h=0.42, size=8.5)
        path(ax, [(1.95, 0.62), (x, 0.62), (x, 1.29)])
        ax.text(x, 1.12 - 0.02, name, fontsize=7, color="#555555", ha="center", va="top")
    times_f = circle(ax, 2.3, 3.4, "×")
    plus = circle(ax, 4.1, 3.4, "+")
    times_i = circle(ax, 4.1, 2.5, "×")
    tanh_c = box(ax, 5.9, 2.9, "tanh", "norm", w=0.7, h=0.32)
    times_o = circle(ax, 5.9, 2.3, "×")
    arrow(ax, c_prev, times_f)
    arrow(ax, times_f, plus)
    arrow(ax, plus, c_next)
    arrow(ax, g["forget"], times_f)
    arrow(ax, g["input"], times_i)
    arrow(ax, g["candidate"], times_i)
    arrow(ax, times_i, plus)
    path(ax, [(5.1, 3.4), (5.1, 3.25), (5.55, 3.25), (5.9, 3.06)])
    arrow(ax, tanh_c, times_o)
    arrow(ax, g["output"], times_o)
    path(ax, [(6.06, 2.3), (6.9, 2.3), (6.9, 0.9), (7.3, 0.9)])
    ax.text(0.05, 3.5, "c_{t-1}", fontsize=8)
    ax.text(6.7, 3.5, "c_t", fontsize=8)
    ax.text(6.95, 1.0, "h_t", fontsize=8)
    ax.text(2.4, 3.75, "c_t = f_t ⊙ c_{t-1} + i_t ⊙ g_t", fontsize=9)
    ax.text(4.4, 2.0, "h_t = o_t ⊙ tanh(c_t)", fontsize=9)
    ax.text(2.5, 2.95, "the cell state: a sum, so the gradient\nflows back through × f_t only",
            fontsize=7.5, color="#555555", va="center")  # fmt: skip
    save(fig, "lstm_cell")


def attention():
    fig, ax = canvas(7.4, 3.6)
    q = box(ax, 0.8, 2.9, "queries Q (T, d_k)", "data", w=1.5)
    k = box(ax, 0.8, 1.8, "keys K (S, d_k)", "data", w=1.5)
    v = box(ax, 0.8, 0.6, "values V (S, d_v)", "data", w=1.5)
    s = box(ax, 2.9, 2.35, "scores QKᵀ / √d_k\n(T, S)", "merge", w=1.7, h=0.55)
    m = box(ax, 4.7, 2.35, "+ mask (−∞ where\nnot allowed)", "norm", w=1.5, h=0.55, size=8)
    a = box(ax, 4.7, 1.45, "softmax over S:\nweights A (T, S)", "attn", w=1.6, h=0.55)
    out = box(ax, 6.45, 0.9, "output AV\n(T, d_v)", "data", w=1.3, h=0.55)
    prod = circle(ax, 4.7, 0.6, "×")
    arrow(ax, q, s)
    arrow(ax, k, s)
    arrow(ax, s, m)
    arrow(ax, m, a)
    arrow(ax, a, prod)
    arrow(ax, v, prod)
    arrow(ax, prod, out)
    # a small weight matrix: each row sums to 1
    x0, y0, cell = 5.75, 2.0, 0.18
    weights = [[0.7, 0.2, 0.1, 0.0], [0.1, 0.6, 0.2, 0.1], [0.05, 0.15, 0.2, 0.6]]
    for i, row in enumerate(weights):
        for j, w in enumerate(row):
            ax.add_patch(plt.Rectangle((x0 + j * cell, y0 + (2 - i) * cell), cell, cell,
                                       facecolor=plt.cm.Reds(w), edgecolor="white"))  # fmt: skip
    ax.text(x0 + 2 * cell, y0 + 3 * cell + 0.12, "A: each row sums to 1", fontsize=7.5,
            ha="center")  # fmt: skip
    ax.text(x0 - 0.05, y0 + 1.5 * cell, "queries", fontsize=7, ha="right", va="center")
    ax.text(x0 + 2 * cell, y0 - 0.1, "keys", fontsize=7, ha="center", va="top")
    note = "self-attention: Q, K, V all from one sequence; cross-attention: Q from the decoder, "
    ax.text(0.1, 0.05, note + "K and V from the encoder", fontsize=7.5, color="#555555")
    save(fig, "attention")


def transformer_blocks():
    fig, ax = canvas(7.4, 5.7)
    for x0, decoder in [(1.9, False), (5.4, True)]:
        title(ax, x0, 5.55, "decoder block" if decoder else "encoder block")
        x = box(ax, x0, 0.3, "x (B, T, C)", "data", w=1.9)
        rows = [("LayerNorm", "norm"), ("masked self-attention" if decoder else "self-attention",
                "attn")]  # fmt: skip
        if decoder:
            rows += [("LayerNorm", "norm"), ("cross-attention", "attn")]
        rows += [("LayerNorm", "norm"), ("feed-forward (MLP)", "conv")]
        y, prev, base = 0.85, x, x
        for i in range(0, len(rows), 2):
            ln = box(ax, x0, y, rows[i][0], rows[i][1], w=1.9, h=0.34)
            sub = box(ax, x0, y + 0.5, rows[i + 1][0], rows[i + 1][1], w=1.9, h=0.38)
            plus = circle(ax, x0, y + 1.0, "+", r=0.13)
            arrow(ax, prev, ln)
            arrow(ax, ln, sub)
            arrow(ax, sub, plus)
            start = base[1] + base[3] if base is x else base[1] + 0.13
            path(ax, [(x0, start + 0.08), (x0 - 1.2, start + 0.08), (x0 - 1.2, y + 1.0),
                      (x0 - 0.13, y + 1.0)], colour="#888888")  # fmt: skip
            if rows[i + 1][0] == "cross-attention":
                enc = (x0 + 1.9, y + 0.5)
                ax.text(x0 + 1.02, enc[1] + 0.12, "K, V from\nthe encoder", fontsize=7.5,
                        va="bottom")  # fmt: skip
                arrow(ax, enc, sub)
            prev, base, y = plus, plus, y + 1.45
        out = box(ax, x0, y + 0.1, "y (B, T, C)", "data", w=1.9, h=0.34)
        arrow(ax, prev, out)
    ax.text(0.1, 0.02, "pre-norm blocks (norm_first=True); the grey paths are the residual "
            "connections", fontsize=7.5, color="#555555")  # fmt: skip
    save(fig, "transformer_blocks")


def autoencoder_vae():
    fig, ax = canvas(7.4, 3.4)
    title(ax, 3.7, 3.25, "autoencoder")
    x = box(ax, 0.6, 2.55, "x (64,)", "data", w=0.9)
    enc = box(ax, 2.0, 2.55, "encoder f", "net", w=1.2)
    z = box(ax, 3.7, 2.55, "code z = f(x)", "data", w=1.4)
    dec = box(ax, 5.4, 2.55, "decoder g", "net", w=1.2)
    xh = box(ax, 6.8, 2.55, "x̂ = g(z)", "data", w=0.95)
    for a, b in [(x, enc), (enc, z), (z, dec), (dec, xh)]:
        arrow(ax, a, b)
    ax.text(3.7, 2.05, "loss: reconstruction BCE(x̂, x)", fontsize=8, ha="center")
    title(ax, 3.7, 1.6, "variational autoencoder")
    x2 = box(ax, 0.6, 0.8, "x (64,)", "data", w=0.9)
    enc2 = box(ax, 1.85, 0.8, "encoder", "net", w=1.0)
    mu = box(ax, 3.05, 1.1, "μ(x)", "data", w=0.8, h=0.34)
    sig = box(ax, 3.05, 0.5, "log σ²(x)", "data", w=0.8, h=0.34)
    zs = box(ax, 4.35, 0.8, "z = μ + σ ⊙ ε", "merge", w=1.3)
    eps = (4.35, 0.15)
    dec2 = box(ax, 5.7, 0.8, "decoder", "net", w=1.0)
    xh2 = box(ax, 6.85, 0.8, "x̂", "data", w=0.7)
    for a, b in [(x2, enc2), (enc2, mu), (enc2, sig), (mu, zs), (sig, zs), (zs, dec2), (dec2, xh2)]:
        arrow(ax, a, b)
    arrow(ax, eps, zs)
    ax.text(4.45, 0.12, "ε ~ N(0, I)", fontsize=8, va="center")
    ax.text(0.1, 0.1, "loss: reconstruction + KL(q(z|x) ‖ N(0, I))", fontsize=8)
    ax.text(6.2, 1.35, "generate: decode\nz ~ N(0, I)", fontsize=7.5, color="#555555", ha="center")
    save(fig, "autoencoder_vae")


def gan():
    fig, ax = canvas(7.4, 2.8)
    z = box(ax, 0.6, 1.9, "z ~ N(0, I)", "data", w=1.05)
    g = box(ax, 2.1, 1.9, "generator G", "net", w=1.3)
    fake = box(ax, 3.6, 1.9, "fake G(z)", "data", w=1.1)
    real = box(ax, 3.6, 0.8, "real x (data)", "data", w=1.2)
    d = box(ax, 5.1, 1.35, "discriminator D", "net", w=1.5)
    p = box(ax, 6.7, 1.35, "D(·): probability\nof “real”", "data", w=1.3, h=0.55, size=8)
    for a, b in [(z, g), (g, fake), (fake, d), (real, d), (d, p)]:
        arrow(ax, a, b)
    ax.text(4.35, 0.8, "D: tell real (label 1)\nfrom fake (label 0)", fontsize=8, ha="left")
    ax.text(2.6, 2.55, "G: make D say “real”, loss −log D(G(z)) (non-saturating)", fontsize=8,
            ha="left")  # fmt: skip
    path(ax, [(6.7, 1.63), (6.7, 2.35), (2.1, 2.35), (2.1, 2.11)], colour="#c0392b", ls="--")
    ax.text(0.1, 0.1, "the two networks take turns: one step of D, then one step of G",
            fontsize=7.5, color="#555555")  # fmt: skip
    save(fig, "gan")


def diffusion():
    fig, ax = canvas(7.4, 3.0)
    xs = [0.6, 2.2, 3.8, 5.4, 6.85]
    labels = ["x₀ (digit)", "x₁", "x_t", "x_{T-1}", "x_T ~ N(0, I)"]
    boxes = [box(ax, x, 1.5, t, "data", w=1.1 if i in (0, 4) else 0.75) for i, (x, t) in
             enumerate(zip(xs, labels))]  # fmt: skip
    for a, b in zip(boxes, boxes[1:]):
        arrow(ax, a, b, rad=-0.45)
        arrow(ax, b, a, rad=-0.45, colour="#2b6cb0")
    ax.text(3.7, 2.3, "forward: add noise, q(x_t | x_{t-1}) = N(√(1−β_t) x_{t-1}, β_t I)",
            fontsize=8.5, ha="center")  # fmt: skip
    ax.text(3.7, 0.75, "reverse: a network ε_θ(x_t, t) predicts the noise; each step removes a "
            "little of it", fontsize=8.5, ha="center", color="#2b6cb0")  # fmt: skip
    ax.text(3.7, 0.12, "training: x_t = √ᾱ_t x₀ + √(1−ᾱ_t) ε in one jump, loss ‖ε − ε_θ(x_t, t)‖²",
            fontsize=8, ha="center", color="#555555")  # fmt: skip
    ax.text(3.0, 1.5, "···", fontsize=12, ha="center", va="center")
    ax.text(4.6, 1.5, "···", fontsize=12, ha="center", va="center")
    save(fig, "diffusion")


DIAGRAMS = [inception, residual_block, dense_block, lstm_cell, attention, transformer_blocks,
            autoencoder_vae, gan, diffusion]  # fmt: skip

if __name__ == "__main__":
    for draw in DIAGRAMS:
        draw()
        print(f"wrote {OUT / draw.__name__}.svg")
