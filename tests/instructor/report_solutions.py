"""Answer cells of a1_cnn for the class report's tests: two correct solutions written
independently of each other and of the reference, and copies of the reference disguised the way
students disguise them (renamed variables, reordered functions, edited comments).

Each dictionary maps an answer cell's grade id to the cell's whole source, the release's
signatures and docstrings kept as a student keeps them.
"""

from __future__ import annotations

import re

import nbformat

from grading import course

INDEPENDENT_B = {
    "conv2d_naive": '''\
def conv2d_naive(x, w, b=None, stride=1, padding=0):
    """2-D convolution with loops over output positions: (N, C, H, W) -> (N, F, H', W')."""
    batch, channels, height, width = x.shape
    n_filters, _, kh, kw = w.shape
    padded = torch.zeros(batch, channels, height + 2 * padding, width + 2 * padding,
                         dtype=x.dtype, device=x.device)
    padded[:, :, padding:padding + height, padding:padding + width] = x
    rows = (height + 2 * padding - kh) // stride + 1
    cols = (width + 2 * padding - kw) // stride + 1
    result = torch.zeros(batch, n_filters, rows, cols, dtype=x.dtype, device=x.device)
    for n in range(batch):
        for f in range(n_filters):
            for r in range(rows):
                for c in range(cols):
                    top, left = r * stride, c * stride
                    window = padded[n, :, top:top + kh, left:left + kw]
                    result[n, f, r, c] = (window * w[f]).sum()
            if b is not None:
                result[n, f] += b[f]
    return result
''',
    "conv2d_im2col": '''\
def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    """2-D convolution as one matrix product over unfolded patches."""
    if padding:
        x = torch.nn.functional.pad(x, [padding] * 4)
    n, c, h, wd = x.shape
    f, _, kh, kw = w.shape
    oh, ow = (h - kh) // stride + 1, (wd - kw) // stride + 1
    sn, sc, sh, sw = x.stride()
    x = x.contiguous()
    windows = x.as_strided((n, oh, ow, c, kh, kw), (sn, sh * stride, sw * stride, sc, sh, sw))
    flat = windows.reshape(n, oh * ow, c * kh * kw)
    out = flat @ w.reshape(f, c * kh * kw).T
    if b is not None:
        out += b
    return out.permute(0, 2, 1).reshape(n, f, oh, ow)
''',
    "max_pool2d": '''\
def max_pool2d(x, kernel_size, stride=None):
    """Max pooling over k x k windows: (N, C, H, W) -> (N, C, H', W')."""
    step = stride or kernel_size
    tiles = x.unfold(2, kernel_size, step).unfold(3, kernel_size, step)
    return tiles.amax(dim=(-2, -1))
''',
    "conv2d_backward": '''\
def conv2d_backward(dout, x, w, stride=1, padding=0):
    """Gradients (dx, dw, db) of a convolution, given dout = dL/dy of shape (N, F, H', W')."""
    batch, channels, height, width = x.shape
    _, _, kh, kw = w.shape
    padded = torch.nn.functional.pad(x, (padding, padding, padding, padding))
    grad_padded = torch.zeros_like(padded)
    grad_w = torch.zeros_like(w)
    for r in range(dout.shape[2]):
        for c in range(dout.shape[3]):
            top, left = r * stride, c * stride
            window = padded[:, :, top:top + kh, left:left + kw]
            g = dout[:, :, r, c]
            grad_w += torch.einsum("nf,nckl->fckl", g, window)
            grad_padded[:, :, top:top + kh, left:left + kw] += torch.einsum("nf,fckl->nckl", g, w)
    grad_x = grad_padded[:, :, padding:padding + height, padding:padding + width]
    grad_b = dout.sum(dim=(0, 2, 3))
    return grad_x, grad_w, grad_b
''',
    "residual_block": '''\
class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus an identity or projection shortcut, then ReLU."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, kernel_size=3, stride=stride, padding=1,
                      bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(),
            nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
        )
        needs_projection = stride > 1 or in_channels != out_channels
        self.shortcut = nn.Identity()
        if needs_projection:
            self.shortcut = nn.Sequential(
                nn.Conv2d(in_channels, out_channels, kernel_size=1, stride=stride, bias=False),
                nn.BatchNorm2d(out_channels),
            )

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))
''',
    "train_cnn": '''\
def build_cnn():
    """A small CNN for (N, 1, 8, 8) digits -> (N, 10) logits."""
    layers = [nn.Conv2d(1, 16, 3, padding=1), nn.ReLU()]
    layers += [ResidualBlock(16, 16), ResidualBlock(16, 48, stride=2)]
    layers += [nn.Flatten(), nn.Dropout(0.1), nn.Linear(48 * 4 * 4, 10)]
    return nn.Sequential(*layers)


def train_cnn(model, train_loader, val_loader):
    """Train ``model`` in place on the digits."""
    opt = torch.optim.Adam(model.parameters(), lr=2e-3)
    criterion = nn.CrossEntropyLoss()
    for epoch in range(20):
        model.train()
        for images, labels in train_loader:
            images, labels = images.to(device), labels.to(device)
            opt.zero_grad()
            criterion(model(images), labels).backward()
            opt.step()
''',
}

INDEPENDENT_C = {
    "conv2d_naive": '''\
def conv2d_naive(x, w, b=None, stride=1, padding=0):
    """2-D convolution with loops over output positions: (N, C, H, W) -> (N, F, H', W')."""
    src = F.pad(x, [padding, padding, padding, padding])
    k_h, k_w = w.shape[-2:]
    out_rows = range(0, src.shape[2] - k_h + 1, stride)
    out_cols = range(0, src.shape[3] - k_w + 1, stride)
    flat_w = w.flatten(1)  # (F, C*kh*kw)
    lines = []
    for top in out_rows:
        line = []
        for left in out_cols:
            piece = src[:, :, top:top + k_h, left:left + k_w].flatten(1)  # (N, C*kh*kw)
            line.append(piece @ flat_w.T)
        lines.append(torch.stack(line, dim=-1))
    y = torch.stack(lines, dim=-2)
    return y if b is None else y + b[None, :, None, None]
''',
    "conv2d_im2col": '''\
def conv2d_im2col(x, w, b=None, stride=1, padding=0):
    """2-D convolution as one matrix product over unfolded patches."""
    src = F.pad(x, [padding, padding, padding, padding])
    k_h, k_w = w.shape[-2:]
    tiles = src.unfold(2, k_h, stride).unfold(3, k_w, stride)  # (N, C, H', W', kh, kw)
    tiles = tiles.permute(0, 2, 3, 1, 4, 5).flatten(3)  # (N, H', W', C*kh*kw)
    y = torch.tensordot(tiles, w.flatten(1), dims=([3], [1]))  # (N, H', W', F)
    if b is not None:
        y = y + b
    return y.permute(0, 3, 1, 2)
''',
    "max_pool2d": '''\
def max_pool2d(x, kernel_size, stride=None):
    """Max pooling over k x k windows: (N, C, H, W) -> (N, C, H', W')."""
    if stride is None:
        stride = kernel_size
    last_r = x.shape[2] - kernel_size + 1
    last_c = x.shape[3] - kernel_size + 1
    best = None
    for dr in range(kernel_size):
        for dc in range(kernel_size):
            shifted = x[:, :, dr:dr + last_r:stride, dc:dc + last_c:stride]
            best = shifted if best is None else torch.maximum(best, shifted)
    return best
''',
    "conv2d_backward": '''\
def conv2d_backward(dout, x, w, stride=1, padding=0):
    """Gradients (dx, dw, db) of a convolution, given dout = dL/dy of shape (N, F, H', W')."""
    src = F.pad(x, [padding] * 4)
    d_src = torch.zeros_like(src)
    d_w = torch.empty_like(w)
    oh, ow = dout.shape[-2:]
    for i in range(w.shape[2]):
        for j in range(w.shape[3]):
            rows = slice(i, i + stride * (oh - 1) + 1, stride)
            cols = slice(j, j + stride * (ow - 1) + 1, stride)
            d_w[:, :, i, j] = torch.einsum("nfhw,nchw->fc", dout, src[:, :, rows, cols])
            d_src[:, :, rows, cols] += torch.einsum("nfhw,fc->nchw", dout, w[:, :, i, j])
    h, wd = x.shape[-2:]
    return d_src[..., padding:padding + h, padding:padding + wd], d_w, dout.sum((0, 2, 3))
''',
    "residual_block": '''\
class ResidualBlock(nn.Module):
    """conv-BN-ReLU-conv-BN plus an identity or projection shortcut, then ReLU."""

    def __init__(self, in_channels, out_channels, stride=1):
        super().__init__()
        self.first = nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False)
        self.norm_a = nn.BatchNorm2d(out_channels)
        self.second = nn.Conv2d(out_channels, out_channels, 3, 1, 1, bias=False)
        self.norm_b = nn.BatchNorm2d(out_channels)
        if (in_channels, stride) == (out_channels, 1):
            self.shortcut = nn.Identity()
        else:
            proj = nn.Conv2d(in_channels, out_channels, 1, stride, bias=False)
            self.shortcut = nn.Sequential(proj, nn.BatchNorm2d(out_channels))

    def forward(self, x):
        h = self.norm_a(self.first(x)).relu()
        h = self.norm_b(self.second(h))
        return (h + self.shortcut(x)).relu()
''',
    "train_cnn": '''\
def build_cnn():
    """A small CNN for (N, 1, 8, 8) digits -> (N, 10) logits."""
    net = nn.Sequential()
    net.add_module("stem", nn.Conv2d(1, 24, 3, padding=1))
    net.add_module("act", nn.GELU())
    net.add_module("res", ResidualBlock(24, 24))
    net.add_module("pool", nn.AvgPool2d(2))
    net.add_module("head", nn.Sequential(nn.Flatten(), nn.Linear(24 * 16, 10)))
    return net


def train_cnn(model, train_loader, val_loader):
    """Train ``model`` in place on the digits."""
    sgd = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, nesterov=True)
    for _ in range(25):
        for inputs, targets in train_loader:
            logits = model(inputs.to(device))
            loss = F.cross_entropy(logits, targets.to(device))
            sgd.zero_grad()
            loss.backward()
            sgd.step()
''',
}

# How each copy disguises the reference: new names for its variables, and comments of its own.
RENAMES = [
    {"N": "batch", "C": "chans", "H": "height", "W": "width", "F_out": "n_out", "KH": "k1",
     "KW": "k2", "H_out": "out_h", "W_out": "out_w", "xp": "x_pad", "y": "result",
     "patch": "window", "cols": "columns", "dY": "grad_y", "dcols": "grad_cols", "db": "grad_b",
     "dw": "grad_w", "dx": "grad_x", "out": "hidden", "epochs": "n_epochs",
     "optimizer": "opt", "scheduler": "sched", "loss_fn": "criterion"},
    {"N": "n", "C": "c", "H": "h", "W": "wd", "F_out": "f", "KH": "kh", "KW": "kw",
     "H_out": "oh", "W_out": "ow", "xp": "padded", "y": "res", "patch": "tile",
     "cols": "unfolded", "dY": "g", "dcols": "gcols", "db": "gb", "dw": "gw", "dx": "gx",
     "out": "z", "epochs": "num_epochs", "optimizer": "adam", "scheduler": "lr_sched",
     "loss_fn": "ce"},
]  # fmt: skip


def reference() -> dict[str, str]:
    """The reference solution's answer cells, as a student would hand them in."""
    nb = nbformat.read(course.paths().source("a1_cnn"), as_version=4)
    cells = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if cell.cell_type == "code" and meta.get("solution"):
            lines = [ln for ln in cell.source.splitlines() if "### " not in ln]
            cells[meta["grade_id"]] = "\n".join(lines) + "\n"
    return cells


def _reorder(source: str) -> str:
    """The top-level definitions of a cell in reverse order; a class's methods too."""
    if source.startswith("class "):
        head, *methods = re.split(r"\n(?=    def )", source)
        return "\n".join([head, *reversed(methods)]) + "\n"
    return "\n\n\n".join(reversed(re.split(r"\n+(?=def )", source.strip()))) + "\n"


def disguised_copy(which: int) -> dict[str, str]:
    """A copy of the reference with renamed variables, edited comments and, for ``which`` 1,
    every cell's functions and methods in reverse order."""
    renames = RENAMES[which]
    cells = {}
    for gid, source in reference().items():
        source = re.sub(r"#.*", f"# step ({which})", source)
        lines = source.splitlines()
        for old, new in renames.items():
            pattern = rf"(?<![\w.]){re.escape(old)}\b(?!\s*\()(?!=)"  # not a keyword
            lines = [ln if '"""' in ln else re.sub(pattern, new, ln) for ln in lines]
        source = "\n".join(lines) + "\n"
        cells[gid] = _reorder(source) if which == 1 else source
    return cells
