"""Bad input for the property-based suites: junk values, and what a clear refusal of them is.

`junk()` draws values a user (or a template, or a YAML file) can hand a
parameter by mistake: wrong types, empty and huge strings, negative, NaN and
infinite numbers, unknown names and enum values, nested junk in mappings.
`assert_refused_clearly` is the property every suite checks: the error is one
our code raised on purpose (not a bare KeyError/TypeError/AttributeError from
deep inside), it names the field, lists the allowed values of a choice, and
holds no planted secret.
"""

import math
from datetime import timedelta
from typing import Any

from hypothesis import strategies as st

__all__ = ["BARE_ERRORS", "assert_refused_clearly", "huge_text", "json_junk", "junk", "text"]

#: What Python raises by itself from a bug, never on purpose for bad input.
BARE_ERRORS = (
    KeyError,
    IndexError,
    AttributeError,
    UnboundLocalError,
    NameError,
    RecursionError,
    OverflowError,
    ZeroDivisionError,
    AssertionError,
)

# No "{": a template would be rendered by the orchestrator, not handed to our code.
_ALPHABET = st.characters(codec="utf-8", exclude_characters="{")

#: Short text, including empty, whitespace, control characters and unknown names.
text = st.one_of(
    st.text(_ALPHABET, max_size=20),
    st.sampled_from(["", " ", "\x00", "\n", "None", "null", "true", "-1", "NaN", "inf", "é"]),
)
#: Text far longer than any real value (100,000 characters).
huge_text = st.builds(lambda c, n: c * n, st.sampled_from("a/.%\x00"), st.just(100_000))

_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -1, 0.0, -0.0, math.nan, math.inf, -math.inf, 10**400]),
)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    _numbers,
    text,
    huge_text,
    st.binary(max_size=8),
    st.builds(timedelta, seconds=st.integers(min_value=-(10**6), max_value=10**6)),
    st.builds(object),
)


#: Numbers Dagster's config system can hold: an integer beyond a float's range makes its
#: own Float check raise a bare OverflowError before our code sees the value (upstream).
_config_numbers = st.one_of(
    st.integers(min_value=-(2**63), max_value=2**63),
    st.floats(allow_nan=True, allow_infinity=True),
)


def json_junk() -> st.SearchStrategy[Any]:
    """Junk that a YAML file or run config can hold: no bytes, objects or timedeltas."""
    scalars = st.one_of(st.none(), st.booleans(), _config_numbers, text, huge_text)
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4), st.dictionaries(text, inner, max_size=4)
        ),
        max_leaves=8,
    )


def junk(*extra: Any) -> st.SearchStrategy[Any]:
    """Any junk value: scalars, or lists, sets and mappings nesting them; `extra` values too."""
    nested = st.recursive(
        _scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=4),
            st.tuples(inner, inner),
            st.dictionaries(st.one_of(text, st.integers()), inner, max_size=4),
        ),
        max_leaves=8,
    )
    return st.one_of(nested, st.sampled_from(extra)) if extra else nested


def assert_refused_clearly(
    error: BaseException,
    field: str,
    *,
    allowed: tuple[type[BaseException], ...],
    choices: tuple[str, ...] = (),
    secrets: tuple[str, ...] = (),
) -> None:
    """`error` is a deliberate refusal of `field`: a type of `allowed`, naming it and its choices.

    `choices`: the allowed values the message must list (an enum, a bool's true/false).
    `secrets`: values that must appear nowhere in the error's text or repr.
    """
    message = str(error)
    assert not isinstance(error, BARE_ERRORS), f"bare {type(error).__name__}: {message}"
    assert isinstance(error, allowed), f"{type(error).__name__} is not deliberate: {message}"
    assert field in message, f"the error does not name {field!r}: {message}"
    for choice in choices:
        assert choice in message, f"the error does not list {choice!r}: {message}"
    for secret in secrets:
        assert secret not in message, "a secret in the error's text"
        assert secret not in repr(error), "a secret in the error's repr"
