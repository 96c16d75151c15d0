import pytest

from keras_training_kit.validation import check_int


def test_accepts_ints_at_or_above_minimum():
    check_int("n", 1)
    check_int("n", 2, minimum=2)
    check_int("n", None, allow_none=True)


@pytest.mark.parametrize("value", [0, -3, 1.0, "1", True, None])
def test_rejects_with_name_and_value(value):
    with pytest.raises(ValueError, match=rf"`n` must be an int >= 1\. Received: n={value!r}"):
        check_int("n", value)


def test_message_mentions_none_when_allowed():
    with pytest.raises(ValueError, match=r"an int >= 2 or None\. Received: k=1"):
        check_int("k", 1, minimum=2, allow_none=True)


def test_check_float_accepts_numbers_in_the_interval():
    from keras_training_kit.validation import check_float

    check_float("rate", 0.5, 0, 1)
    check_float("rate", 0, 0, 1, include_low=True)
    check_float("rate", 1.0, 0, 1, include_high=True)
    check_float("scale", 1e9, 0)


@pytest.mark.parametrize(
    "value, bounds, allowed",
    [
        (0, dict(low=0, high=1), r"a float in \(0, 1\)"),
        (1.0, dict(low=0, high=1, include_low=True), r"a float in \[0, 1\)"),
        (-1.0, dict(low=0, include_low=True), "a float >= 0"),
        (float("nan"), dict(low=0), "a float > 0"),
        (True, dict(high=1, include_high=True), "a float <= 1"),
        ("0.5", dict(), "a float"),
    ],
)
def test_check_float_rejects_with_name_and_value(value, bounds, allowed):
    from keras_training_kit.validation import check_float

    with pytest.raises(
        ValueError, match=rf"`x` must be {allowed}\. Received: x="
    ):
        check_float("x", value, **bounds)
