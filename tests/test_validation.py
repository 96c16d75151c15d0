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
