r"""Strict JSON for the migrate call, on top of Python's ``json`` module (standard library only).

``json.loads`` is a good tokenizer but not the parser ``model/SPEC.md`` describes (step 1, and
``userinfo.body`` for the UserInfo reply). Where they differ, and what ``parse`` does:

- **Encoding.** ``json.loads(bytes)`` guesses UTF-16/32, strips a UTF-8 BOM (``utf-8-sig``)
  and decodes with ``surrogatepass``. The spec: a BOM is ``bad_request``, the body is strict
  UTF-8 (no overlong forms, no encoded surrogates). Here: the BOM is checked on the bytes, the
  bytes are decoded with ``bytes.decode("utf-8")`` (strict), and ``json.loads`` gets a ``str``.
- **NaN, Infinity, -Infinity** are accepted by ``json.loads``; they are not JSON. Here:
  ``parse_constant`` raises.
- **Lone surrogate escapes.** ``"\ud800"`` becomes a ``str`` holding a lone surrogate, in an
  unknown field or a discarded duplicate as anywhere else. The spec (``lone-surrogate`` =
  ``bad_request``): ``bad_request`` anywhere in the text. Here: a scan of every escape of the
  text (``_lexical_scan``), which also refuses a ``\u`` without four hex digits, which the
  pure-Python fallback scanner accepts (``"\u 12f"``: it calls ``int(" 12f", 16)``).
- **Nesting.** ``json.loads`` recurses until ``RecursionError`` near the recursion limit
  (~1000). The spec (``nesting-limit`` = ``128``): up to 128 levels, deeper is ``bad_request``.
  Here: the same scan counts brackets outside strings; ``RecursionError`` is caught.
- **Numbers.** ``json.loads`` makes exact ``int`` (``int()`` refuses more than 4300 digits on
  Python 3.11+) and turns ``1e400`` into ``inf`` silently. The spec: the duration is judged
  on the number's exact text, claims numbers become doubles with overflow an error
  (``number-precision`` = ``double``), and an unknown field may hold any number. Here:
  ``parse_int`` and ``parse_float`` keep the text (``Number``); callers convert what they use.
- **Duplicate keys.** The last wins silently, which is the spec's default (``duplicate-keys`` =
  ``last-wins``). Here: ``object_pairs_hook``, the place to refuse them under ``bad_request``.

What ``json.loads`` (CPython's C scanner) already gets right and is relied on: the grammar
(no trailing commas, no leading zeros, no ``+1`` or ``.5``, only the RFC escapes, no raw
U+0000-U+001F in strings, only space, tab, LF and CR as whitespace, nothing after the value).

The writer (``dumps``) writes compact JSON with numbers as ECMAScript writes them, and with
``canonical=True`` the RFC 8785 (JCS) form the claims size limit is measured on.
"""

import json
import math
import re

__all__ = ["JsonError", "Number", "parse", "dumps", "es_number", "MAX_NESTING"]

#: The default ``nesting-limit``: the top-level value is level 1; opening level 129 is refused.
MAX_NESTING = 128

_BOM = b"\xef\xbb\xbf"


class JsonError(ValueError):
    """The bytes are not one JSON document under the spec's rules."""


class Number:
    """A JSON number, kept as its exact text. Convert it where its meaning is decided."""

    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text

    def is_integer_literal(self):
        """Whether the number is written without a fraction or exponent part (``60``, ``-0``)."""
        return not any(c in self.text for c in ".eE")

    def to_double(self):
        """The nearest IEEE-754 double (round to nearest; ``1e-400`` gives 0.0, ``1e400`` inf).

        ``float()`` on a JSON number's text is correctly rounded for any length of text.
        """
        return float(self.text)

    def __repr__(self):
        return "Number(%s)" % self.text

    def __eq__(self, other):
        return isinstance(other, Number) and other.text == self.text

    def __hash__(self):
        return hash(self.text)


# A string literal (a quote, then anything but a quote or backslash, or a backslash and any one
# character, then a quote) or one bracket. In valid JSON every quote and backslash is inside a
# string, so scanning left to right with this finds exactly the strings and the brackets.
_TOKEN = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[\]{}]', re.S)
# One escape inside a string literal: \uXXXX (group 1), a short escape, or anything else
# (group 2: invalid; json.loads refuses it too, but the pure-Python scanner is lax on \u).
_ESCAPE = re.compile(r'\\(?:u([0-9A-Fa-f]{4})|["\\/bfnrt]|(.?))', re.S)


def _lexical_scan(text, max_depth):
    """What json.loads cannot be asked: nesting depth, escapes, lone surrogate escapes."""
    depth = 0
    for token in _TOKEN.finditer(text):
        t = token.group()
        if t in "[{":
            depth += 1
            if max_depth is not None and depth > max_depth:
                raise JsonError("nested deeper than %d levels" % max_depth)
        elif t in "]}":
            depth -= 1
        elif "\\" in t:
            _check_escapes(t)


def _check_escapes(literal):
    """Refuses an invalid escape and a lone surrogate escape (spec rule body.lone-surrogate):
    a high surrogate escape not immediately followed by a low surrogate escape, or a low
    surrogate escape on its own. (A raw surrogate cannot get here: strict UTF-8 refused it.)"""
    high_end = None  # where the escape of an unpaired high surrogate ended
    for m in _ESCAPE.finditer(literal):
        if m.group(2) is not None:
            raise JsonError("invalid escape %r" % m.group())
        unit = int(m.group(1), 16) if m.group(1) else None
        if high_end is not None:
            if unit is not None and 0xDC00 <= unit <= 0xDFFF and m.start() == high_end:
                high_end = None
                continue
            raise JsonError("lone surrogate escape")
        if unit is not None and 0xD800 <= unit <= 0xDBFF:
            high_end = m.end()
        elif unit is not None and 0xDC00 <= unit <= 0xDFFF:
            raise JsonError("lone surrogate escape")
    if high_end is not None:
        raise JsonError("lone surrogate escape")


def _refuse_constant(name):
    raise JsonError("%s is not JSON" % name)


def _object(pairs):
    # duplicate-keys = last-wins: dict() keeps the last value of a repeated key. The earlier
    # values were parsed (so their lexical faults count) but are never looked at again.
    # Under duplicate-keys = bad_request, refuse here instead:
    #     if len({k for k, _ in pairs}) != len(pairs): raise JsonError("duplicate key")
    return dict(pairs)


def parse(data, max_depth=MAX_NESTING):
    """Parses request (or UserInfo) bytes: ``dict``, ``list``, ``str``, ``Number``, ``True``,
    ``False`` or ``None``. Raises ``JsonError`` for anything the spec's step 1 refuses."""
    if data.startswith(_BOM):
        raise JsonError("the body begins with a UTF-8 byte order mark")
    try:
        text = data.decode("utf-8")  # strict: refuses overlong forms and encoded surrogates
    except UnicodeDecodeError as e:
        raise JsonError("not UTF-8: %s" % e) from None
    try:
        value = json.loads(
            text,
            parse_int=Number,
            parse_float=Number,
            parse_constant=_refuse_constant,
            object_pairs_hook=_object,
        )
    except RecursionError:
        # Near the interpreter's recursion limit (~1000 levels), far past the 128 allowed.
        raise JsonError("nested too deep") from None
    except ValueError as e:  # json.JSONDecodeError is a ValueError
        raise JsonError(str(e)) from None
    # The scan runs on text json.loads accepted, where its regular expression is exact and
    # linear (on arbitrary text, unterminated strings could make it quadratic).
    _lexical_scan(text, max_depth)
    return value


# --------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------


def es_number(x):
    """A finite double as ECMAScript's Number::toString writes it (RFC 8785 section 3.2.2.3):
    ``1e+21``, ``1e-7``, ``100``, ``0.001``; ``-0.0`` is ``0``."""
    if not math.isfinite(x):
        raise ValueError("no JSON for %r" % x)
    if x == 0:
        return "0"
    if x < 0:
        return "-" + es_number(-x)
    # repr() gives the shortest digits that round-trip, as ECMAScript requires.
    mantissa, _, exponent = repr(x).partition("e")
    point = mantissa.find(".")
    if point < 0:
        point = len(mantissa)
    digits = mantissa.replace(".", "")
    n = point + int(exponent or "0")  # the value is 0.DIGITS * 10**n
    stripped = digits.lstrip("0")
    n -= len(digits) - len(stripped)
    digits = stripped.rstrip("0")
    k = len(digits)
    if k <= n <= 21:
        return digits + "0" * (n - k)
    if 0 < n <= 21:
        return digits[:n] + "." + digits[n:]
    if -6 < n <= 0:
        return "0." + "0" * -n + digits
    e = n - 1
    head = digits[0] + ("." + digits[1:] if k > 1 else "")
    return "%se%s%d" % (head, "+" if e >= 0 else "-", abs(e))


def _utf16_key(key):
    return key.encode("utf-16-be")  # bytewise order of UTF-16BE = order of UTF-16 code units


def dumps(value, canonical=False):
    """Compact JSON text. Strings escape only ``"``, ``\\`` and U+0000-U+001F (short forms
    where they exist, else lowercase ``\\u00xx``), as RFC 8785 does; numbers are written as
    ECMAScript writes them. ``canonical=True`` also sorts object keys by UTF-16 code units:
    the RFC 8785 canonical form."""
    out = []
    _write(value, canonical, out)
    return "".join(out)


def _write(value, canonical, out):
    # bool before int: True is an int in Python.
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(json.dumps(value, ensure_ascii=False))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(es_number(value))
    elif isinstance(value, Number):
        out.append(value.text)
    elif isinstance(value, dict):
        keys = sorted(value, key=_utf16_key) if canonical else list(value)
        out.append("{")
        for i, key in enumerate(keys):
            if i:
                out.append(",")
            out.append(json.dumps(key, ensure_ascii=False))
            out.append(":")
            _write(value[key], canonical, out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _write(item, canonical, out)
        out.append("]")
    else:
        raise TypeError("cannot write %r as JSON" % (value,))
