"""OpenEnum: documented values are constants, any other value still parses."""

from typing import ClassVar

import pytest
from pydantic import BaseModel

from conn_shared.backends.open_enum import OpenEnum


class Colour(OpenEnum):
    RED = "red"
    BLUE = "blue"


class Many(OpenEnum):
    known: ClassVar[frozenset[str]] = frozenset({"a", "b", "c"})


class Paint(BaseModel):
    colour: Colour


@pytest.mark.parametrize(
    ("value", "known"),
    [
        pytest.param("red", True, id="documented"),
        pytest.param("ultraviolet", False, id="added-by-a-newer-api"),
    ],
)
def test_any_value_parses_and_is_reported(value: str, known: bool) -> None:
    paint = Paint.model_validate({"colour": value})
    assert isinstance(paint.colour, Colour)
    assert paint.colour == value
    assert paint.colour.is_known is known
    assert paint.model_dump(mode="json") == {"colour": value}


def test_known_values_come_from_constants_or_an_explicit_set() -> None:
    assert Colour.known == {"red", "blue"}
    assert Many.known == {"a", "b", "c"}
    assert Colour("red") == Colour.RED
    assert repr(Colour("red")) == "Colour('red')"


def test_non_strings_are_rejected() -> None:
    with pytest.raises(ValueError, match="colour"):
        Paint.model_validate({"colour": 3})
