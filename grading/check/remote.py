"""The checker's view of the student's kernel: a target that answers requests, and proxies.

A hidden test names the notebook's functions and classes as it always did (``conv2d_naive(x, w)``,
``ResidualBlock(4, 8)``); in the checker each such name is a :class:`Remote`, and calling it sends
a request to the kernel (:mod:`utils.agent`) and returns the reply's value: tensors as CPU tensors
(:func:`utils.wire.info` says what they were in the kernel), plain data as itself, and any other
object (a module, a data loader) as another :class:`Remote` for the object kept in the kernel.
An attribute of a :class:`Remote` is a :class:`Remote` for that member (``block.conv1.forward``);
its value is fetched with ``GRADER.get``. A proxy has no public attribute of its own, so that any
name of the student's may follow the dot.

Two targets answer requests: :class:`KernelTarget`, the sandboxed kernel over its ZeroMQ Unix
sockets (a user expression of a silent execute request, with a time limit per request and an
interrupt when it runs out), and :class:`LocalTarget`, a namespace of this process (the
instructor's tests of the hidden tests: the same messages, without a kernel).
"""

from __future__ import annotations

import base64
import re
import time
from typing import Any

import zmq

from utils import agent, wire

REPLY = re.compile(r"'([A-Za-z0-9+/=]*)'")
"""A reply as the kernel's display formatter writes it: the repr of a base64 string."""
MAX_REPLY = wire.MAX_BYTES * 4 // 3 + 2**20
"""The largest reply the checker's socket takes in: a larger one is dropped by ZeroMQ, and the
request then runs out of time (the student's answer, not the grader's failure)."""


class RemoteError(AssertionError):
    """What the kernel did instead of answering: the check that asked fails with this message
    (written here, never quoted from the kernel)."""


class KernelDead(RemoteError):
    """The kernel stopped answering: every later request fails at once."""


class Target:
    """Where requests go; subclasses move the bytes."""

    def ask(self, request: dict) -> Any:
        """Send ``request``; the reply's fields, its references as :class:`Remote`."""
        out = self.exchange(wire.dumps(request, refer=_ref_of))
        reply = wire.loads(out, resolve=lambda ref: Remote(self, ref))
        if not isinstance(reply, dict) or "ok" not in reply:
            raise RemoteError("the kernel's answer was not understood")
        if reply["ok"] is not True:
            raise RemoteError(_failed(reply))
        return reply

    def exchange(self, message: bytes) -> bytes:
        raise NotImplementedError


class LocalTarget(Target):
    """A namespace of this process, through the same messages as a kernel."""

    def __init__(self, namespace: dict) -> None:
        self.namespace = namespace

    def exchange(self, message: bytes) -> bytes:
        payload = base64.b64encode(message).decode()
        saved = agent._namespace
        agent._namespace = lambda: self.namespace
        try:
            return base64.b64decode(agent.serve(payload))
        finally:
            agent._namespace = saved


class KernelTarget(Target):
    """The student's kernel, reached with its connection file's information."""

    def __init__(self, connection: dict, seconds: float) -> None:
        from jupyter_client import BlockingKernelClient

        self.seconds, self.dead = seconds, False
        self.client = BlockingKernelClient()
        self.client.load_connection_info(connection)
        # requests and replies only: what the kernel prints meanwhile is never read, no reply
        # larger than a message may be (in base64) is taken in, and no send waits for ever
        self.client.start_channels(iopub=False, stdin=False)
        shell, url = self.client.shell_channel.socket, self.client._make_url("shell")
        shell.setsockopt(zmq.MAXMSGSIZE, MAX_REPLY)  # for connections made from now on
        shell.disconnect(url)
        shell.connect(url)
        for channel in (self.client.shell_channel, self.client.control_channel):
            channel.socket.setsockopt(zmq.SNDTIMEO, 10_000)

    def close(self) -> None:
        self.client.stop_channels()

    def exchange(self, message: bytes) -> bytes:
        if self.dead:
            raise KernelDead("the kernel stopped answering earlier; this check did not run")
        payload = base64.b64encode(message).decode()
        expression = f"__import__('utils.agent', fromlist=['serve']).serve('{payload}')"
        msg_id = self.client.execute("", silent=True, store_history=False, allow_stdin=False,
                                     user_expressions={"reply": expression})  # fmt: skip
        reply = self._reply(msg_id, self.seconds)
        if reply is None:
            self._interrupt()
            raise RemoteError(f"your code did not answer within {self.seconds:.0f} s")
        result = (reply.get("content", {}).get("user_expressions") or {}).get("reply") or {}
        text = (result.get("data") or {}).get("text/plain") if isinstance(result, dict) else None
        match = REPLY.fullmatch(text) if isinstance(text, str) else None
        if result.get("status") != "ok" or match is None:
            raise RemoteError("the kernel did not answer the check (the notebook changed how it "
                              "evaluates or displays values)")  # fmt: skip
        return base64.b64decode(match.group(1))

    def _reply(self, msg_id: str, seconds: float) -> dict | None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg = self.client.get_shell_msg(timeout=min(left, 5.0))
            except Exception:  # noqa: BLE001 - queue.Empty: no message yet
                if not self.client.is_alive():
                    self.dead = True
                    raise KernelDead("the kernel stopped while your code was checked") from None
                continue
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                return msg
        return None

    def _interrupt(self) -> None:
        """Stop the request that ran out of time (the kernel takes interrupts as messages); a
        kernel that does not come back within 10 s answers nothing more."""
        try:
            self.client.control_channel.send(self.client.session.msg("interrupt_request", {}))
            probe = self.client.execute("", silent=True, store_history=False)
        except zmq.ZMQError:  # the kernel takes no message at all
            self.dead = True
            return
        if self._reply(probe, 10.0) is None:
            self.dead = True


class Remote:
    """A name of the notebook, or an object kept in the kernel, or a member of either."""

    __slots__ = ("_target", "_base", "_member")

    def __init__(self, target: Target, base: str | wire.Ref, member: str = "") -> None:
        object.__setattr__(self, "_target", target)
        object.__setattr__(self, "_base", base)
        object.__setattr__(self, "_member", member)

    def __getattr__(self, name: str) -> Remote:
        if name.startswith("__"):
            raise AttributeError(name)
        member = f"{self._member}.{name}" if self._member else name
        return Remote(self._target, self._base, member)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("a checker cannot set attributes in the kernel; use GRADER.load")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from grading.check.grader import _ask  # the test's budget and rules apply

        return _ask(self, args, kwargs)["value"]

    def __repr__(self) -> str:
        base = self._base if isinstance(self._base, str) else f"<{self._base.type}>"
        return f"Remote({base}{'.' + self._member if self._member else ''})"

    def _ask(self, op: str, **fields: Any) -> dict:
        target = self._base if isinstance(self._base, str) else self._base
        return self._target.ask({"op": op, "target": target, "member": self._member, **fields})

    @property
    def _type(self) -> str:
        """The kept object's type name, as the kernel said it (a name is not kept: '')."""
        return "" if isinstance(self._base, str) else self._base.type


def _ref_of(obj: Any) -> wire.Ref:
    """A kept object sent back to the kernel: its reference (a name cannot be sent)."""
    if isinstance(obj, Remote) and isinstance(obj._base, wire.Ref) and not obj._member:
        return obj._base
    raise wire.WireError(f"{obj!r} cannot be sent to the kernel")


FAILURES = {"": "your code raised an exception of a class defined in the notebook"}


def _failed(reply: dict) -> str:
    """The message for a request that raised in the kernel, from the reply's checked fields."""
    if reply.get("budget") is True:
        return "your training asked for more optimizer steps than the budget of this part"
    name = reply.get("error")
    if not isinstance(name, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]{0,60}", name):
        return FAILURES[""]
    return FAILURES.get(name, f"your code raised {name}")
