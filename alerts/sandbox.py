"""The sandbox staff templates run in, with a budget: no template can exhaust the server.

Jinja's immutable sandbox stops templates from reaching Python internals or changing data;
this adds limits on what a template may *build* and how long it may *work*:

- every value it makes (string, list, number) stays small: repetition (`'a' * n`),
  concatenation (`~`, `+`), `join`, `replace` and filters are checked, before the work when
  the size can be known in advance, after it otherwise (inputs are already small then);
- formatting widths and precisions (`center`, `ljust`, `rjust`, `zfill`, `indent`,
  `'{:>N}'.format`, `'%*d' % …`, the `format` filter) are capped, nested widths refused;
- loops, calls and `range` share one count of iterations per render; nested loops add up;
- the output is counted as it is produced, and the render stops after MAX_SECONDS of CPU
  time (CPU, not wall-clock, so a busy machine does not fail an honest template).

A template over budget raises `RenderBudgetError` (a Jinja `SecurityError`), which the
template editor shows as a translated problem and the dispatcher records as a render failure.
"""

from __future__ import annotations

import re
import string
import time
from contextlib import contextmanager
from contextvars import ContextVar

from flask_babel import gettext
from jinja2 import nodes, pass_context
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment
from jinja2.visitor import NodeTransformer

MAX_VALUE = 20_000  # characters in a string, items in a list a template builds
MAX_OUTPUT = 20_000  # characters one template renders (a reminder is a few hundred)
MAX_WIDTH = 200  # formatting width or precision
MAX_ITERATIONS = 1_000  # loop turns and calls in one render, nested loops included
MAX_INT_BITS = 4096
MAX_SECONDS = 0.5

def N_(message: str) -> str:  # noqa: N802 - Babel's marker for strings translated later
    return message


MESSAGES = {
    "value": N_("The template builds a text or list longer than %(n)d characters."),
    "output": N_("The template produces more than %(n)d characters."),
    "width": N_("A formatting width or precision in the template is larger than %(n)d."),
    "iterations": N_("The template's loops run more than %(n)d times."),
    "number": N_("The template computes a number that is too large."),
    "time": N_("The template takes too long to render."),
}
LIMITS = {"value": MAX_VALUE, "output": MAX_OUTPUT, "width": MAX_WIDTH,
          "iterations": MAX_ITERATIONS, "number": MAX_INT_BITS, "time": MAX_SECONDS}


class RenderBudgetError(SecurityError):
    """A template went over its budget; `kind` is a key of MESSAGES."""

    def __init__(self, kind: str):
        self.kind = kind
        super().__init__(f"template over budget: {kind} (limit {LIMITS[kind]})")

    def describe(self) -> str:
        """The problem in the current locale, for staff."""
        message = MESSAGES[self.kind]
        return gettext(message, n=LIMITS[self.kind]) if "%(n)d" in message else gettext(message)


class _Budget:
    def __init__(self, seconds: float, iterations: int):
        self.deadline = time.thread_time() + seconds
        self.left = iterations

    def tick(self) -> None:
        self.left -= 1
        if self.left < 0:
            raise RenderBudgetError("iterations")
        if time.thread_time() > self.deadline:
            raise RenderBudgetError("time")


_BUDGET: ContextVar[_Budget | None] = ContextVar("saldo_template_budget", default=None)


@contextmanager
def budget(seconds: float = MAX_SECONDS, iterations: int = MAX_ITERATIONS):
    token = _BUDGET.set(_Budget(seconds, iterations))
    try:
        yield
    finally:
        _BUDGET.reset(token)


def _tick() -> None:
    current = _BUDGET.get()
    if current is not None:
        current.tick()


def _check_time() -> None:
    current = _BUDGET.get()
    if current is not None and time.thread_time() > current.deadline:
        raise RenderBudgetError("time")


def bounded(value):
    """`value` when it is small enough for a template to hold."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value.bit_length() > MAX_INT_BITS:
        raise RenderBudgetError("number")
    if isinstance(value, str | bytes | list | tuple | dict | set) and len(value) > MAX_VALUE:
        raise RenderBudgetError("value")
    return value


def _width(number) -> None:
    if isinstance(number, int | float) and abs(number) > MAX_WIDTH:
        raise RenderBudgetError("width")


_PERCENT = re.compile(r"%(?:\([^)]*\))?[#0\- +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?[a-zA-Z%]")


def check_percent_format(fmt: str) -> None:
    """Refuse `*` widths and large widths/precisions in a %-format string."""
    for match in _PERCENT.finditer(fmt):
        for part in match.groups():
            if part == "*":
                raise RenderBudgetError("width")
            if part is not None:
                _width(int(part))


def check_brace_format(fmt: str) -> None:
    """Refuse nested and large widths/precisions in a str.format string."""
    try:
        fields = list(string.Formatter().parse(fmt))
    except ValueError:
        return  # str.format raises the same error itself
    for _literal, _field, spec, _conversion in fields:
        if not spec:
            continue
        if "{" in spec:
            raise RenderBudgetError("width")
        for digits in re.findall(r"\d+", spec):
            _width(int(digits))


def _size(value) -> int:
    return len(value) if isinstance(value, str | bytes | list | tuple | dict | set) else 0


def _check_repeat(left, right) -> None:
    for sequence, count in ((left, right), (right, left)):
        if isinstance(sequence, str | list | tuple) and isinstance(count, int) \
                and not isinstance(count, bool) and len(sequence) * max(count, 0) > MAX_VALUE:
            raise RenderBudgetError("value")


def _check_str_method(method, args, kwargs) -> None:
    """Pre-checks for the str methods that can build large results from small inputs."""
    method = getattr(method, "__wrapped__", method)  # the sandbox wraps str.format
    owner, name = getattr(method, "__self__", None), getattr(method, "__name__", "")
    if not isinstance(owner, str):
        return
    if name in ("center", "ljust", "rjust", "zfill", "expandtabs"):
        for number in [*args, *kwargs.values()]:
            _width(number)
        if name == "expandtabs" and owner.count("\t") * (args[0] if args else 8) > MAX_VALUE:
            raise RenderBudgetError("value")
    elif name in ("format", "format_map"):
        check_brace_format(owner)
    elif name == "join" and args:
        items = list(args[0]) if not isinstance(args[0], str) else args[0]
        total = sum(len(str(item)) for item in items[:MAX_VALUE + 1])
        if len(items) > MAX_VALUE or total + len(owner) * len(items) > MAX_VALUE:
            raise RenderBudgetError("value")
    elif name == "replace" and len(args) >= 2:
        _check_replace(owner, args[0], args[1])


def _check_replace(text, old, new) -> None:
    text, old, new = str(text), str(old), str(new)
    hits = len(text) + 1 if old == "" else text.count(old)
    if len(text) + hits * max(len(new) - len(old), 0) > MAX_VALUE:
        raise RenderBudgetError("value")


class _Budgeted(NodeTransformer):
    """Rewrites a parsed template so loops count their turns and `~` results are checked."""

    def visit_For(self, node):
        node = self.generic_visit(node)
        node.iter = nodes.Filter(node.iter, "saldo_loop", [], [], None, None,
                                 lineno=node.lineno)
        return node

    def visit_Concat(self, node):
        node = self.generic_visit(node)
        return nodes.Filter(node, "saldo_bounded", [], [], None, None, lineno=node.lineno)


@pass_context
def _loop_filter(_context, iterable):
    for item in iterable:
        _tick()
        yield item


@pass_context
def _bounded_filter(_context, value):
    return bounded(value)


def _range(*args):
    span = range(*args)
    if len(span) > MAX_ITERATIONS:
        raise RenderBudgetError("iterations")
    return span


# Filters a reminder may use; each result is size-checked, amplifiers are pre-checked.
ALLOWED_FILTERS = ("abs", "capitalize", "center", "count", "d", "default", "e", "escape",
                   "first", "float", "format", "int", "join", "last", "length", "list",
                   "lower", "max", "min", "replace", "reverse", "round", "sort", "string",
                   "striptags", "sum", "title", "trim", "truncate", "unique", "upper",
                   "wordcount")


def _guarded_filter(name: str, func):
    def pre_check(args, kwargs):
        if not args:
            return
        if name == "center":
            _width(args[1] if len(args) > 1 else kwargs.get("width", 0))
        elif name == "format" and isinstance(args[0], str):
            check_percent_format(args[0])
        elif name == "replace" and len(args) >= 3:
            _check_replace(args[0], args[1], args[2])
        elif name == "join":
            separator = args[1] if len(args) > 1 else kwargs.get("d", "")
            _check_str_method(str(separator).join, (list(args[0]),), {})

    def guarded(*args, **kwargs):
        _check_time()
        offset = 1 if getattr(func, "jinja_pass_arg", None) else 0
        pre_check(args[offset:], kwargs)
        return bounded(func(*args, **kwargs))

    if hasattr(func, "jinja_pass_arg"):
        guarded.jinja_pass_arg = func.jinja_pass_arg
    return guarded


class BudgetSandbox(ImmutableSandboxedEnvironment):
    """Jinja's immutable sandbox with the budget described in the module docstring."""

    intercepted_binops = frozenset(["+", "-", "*", "/", "//", "%", "**"])

    def __init__(self, **options):
        super().__init__(**options)
        self.filters = {name: _guarded_filter(name, self.filters[name])
                        for name in ALLOWED_FILTERS}
        self.filters["saldo_loop"] = _loop_filter
        self.filters["saldo_bounded"] = _bounded_filter
        self.globals = {"range": _range, "namespace": self.globals["namespace"],
                        "dict": self.globals["dict"], "cycler": self.globals["cycler"],
                        "joiner": self.globals["joiner"]}

    def _parse(self, source, name, filename):
        return _Budgeted().visit(super()._parse(source, name, filename))

    def call_binop(self, context, operator, left, right):
        _check_time()
        if operator == "**" and any(isinstance(v, int | float) and abs(v) > 64
                                    for v in (left, right)):
            raise RenderBudgetError("number")
        if operator == "*":
            _check_repeat(left, right)
        if operator == "%" and isinstance(left, str):
            check_percent_format(left)
        return bounded(super().call_binop(context, operator, left, right))

    def call(__self, __context, __obj, *args, **kwargs):  # noqa: N805 - Jinja's signature
        _tick()
        _check_str_method(__obj, args, kwargs)
        return bounded(super().call(__context, __obj, *args, **kwargs))

    def getattr(self, obj, attribute):
        _check_time()
        return super().getattr(obj, attribute)


def render_bounded(template, values: dict) -> str:
    """Render `template` within the budget: output counted as produced, stopped at the
    deadline."""
    with budget():
        parts, size = [], 0
        for chunk in template.generate(values):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise RenderBudgetError("output")
            _check_time()
            parts.append(chunk)
    return "".join(parts)
