import pytest

from keras_training_kit.validation import check_int


def test_accepts_ints_at_or_above_minimum():
    check_int("n", 1)
    check_int("n", 2, minimum=2)
    check_int("n", None, allow_none=True)


@pytest.mark.parametrize("value", [0, -3, 1.0, "1", True, None])
def test_rejects_with_name_and_value(value):
    with pytest.raises(
        ValueError, match=rf"`n` must be an int >= 1\. Received: n={value!r}"
    ):
        check_int("n", value)


def test_message_mentions_none_when_allowed():
    with pytest.raises(
        ValueError, match=r"an int >= 2 or None\. Received: k=1"
    ):
        check_int("k", 1, minimum=2, allow_none=True)


def test_also_allows_the_named_strings_and_says_so():
    check_int("m", "auto", also=("auto",))
    with pytest.raises(
        ValueError, match=r"an int >= 1 or 'auto'\. Received: m='best'"
    ):
        check_int("m", "best", also=("auto",))


# check_bool, check_float, check_value_range.
import re  # noqa: E402

from keras_training_kit.validation import check_bool  # noqa: E402
from keras_training_kit.validation import check_float  # noqa: E402
from keras_training_kit.validation import check_value_range  # noqa: E402


def test_check_bool():
    assert check_bool("flip", False) is False
    with pytest.raises(
        ValueError, match=r"`flip` must be a bool\. Received: flip=1"
    ):
        check_bool("flip", 1)


@pytest.mark.parametrize(
    "value, kwargs, expected",
    [
        (0, {}, 0.0),
        (1e9, {}, 1e9),
        (1, {"high": 1.0}, 1.0),
        (0.5, {"high": 1.0, "include_high": False}, 0.5),
        ([0.1, 0], {"high": 1.0, "pair": True}, (0.1, 0.0)),
        (1.0, {"include_low": False, "high": 1.0}, 1.0),
    ],
)
def test_check_float_accepts_and_converts(value, kwargs, expected):
    assert check_float("x", value, **kwargs) == expected


@pytest.mark.parametrize(
    "value, kwargs, allowed",
    [
        (-1, {}, r"a float >= 0"),
        (True, {}, r"a float >= 0"),
        ("1", {}, r"a float >= 0"),
        (0, {"include_low": False}, r"a float > 0"),
        (1.0, {"high": 1.0, "include_high": False}, r"a float in \[0, 1\)"),
        (0.6, {"high": 0.5}, r"a float in \[0, 0.5\]"),
        (0, {"high": 1.0, "include_low": False}, r"a float in \(0, 1\]"),
        (
            (0.1, 1.0),
            {"high": 1.0, "include_high": False, "pair": True},
            r"a float in \[0, 1\) or a \(height, width\) pair of such floats",
        ),
        ((0.1,), {"high": 1.0, "pair": True}, r"a float in \[0, 1\] or a"),
        ((0.1, 0.2), {"high": 1.0}, r"a float in \[0, 1\]"),
    ],
)
def test_check_float_message_names_range_and_value(value, kwargs, allowed):
    received = re.escape(f"Received: x={value!r}")
    with pytest.raises(
        ValueError, match=rf"`x` must be {allowed}.* \(off\)\. {received}$"
    ):
        check_float("x", value, note=" (off)", **kwargs)


def test_check_value_range():
    assert check_value_range("value_range", [0, 255]) == (0.0, 255.0)
    for value in [(1, 0), (0, 1, 2), "ab", (0, None)]:
        with pytest.raises(
            ValueError,
            match=r"`r` must be a \(low, high\) pair of numbers with low < "
            r"high\. Received: r=",
        ):
            check_value_range("r", value)
