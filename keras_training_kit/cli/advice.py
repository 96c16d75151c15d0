"""The diagnostics' fixes as `ktk` flags.

The rule set (`keras_training_kit.diagnostics.rules`) writes each fix as
Python arguments; `ktk` users type flags, so `ktk` renders the fixes it
has a flag for as flags (`{"gradient_accumulation_steps": 4}` ->
`--accumulate 4`), both in its reports and in the callbacks' warnings
(`FlagAdvice`, a logging filter).
"""

import logging

# Python argument -> `ktk train` flag.
FLAGS = {
    "kernel_initializer": "--initializer",
    "activation": "--activation",
    "normalization": "--normalization",
    "learning_rate": "--lr",
    "gradient_accumulation_steps": "--accumulate",
    "batch_size": "--batch-size",
}


def flag_fix(fix: dict) -> str:
    """`{"learning_rate": 3e-4}` -> `` `--lr 0.0003` ``."""
    return (
        "`" + " ".join(f"{FLAGS[k]} {_value(v)}" for k, v in fix.items()) + "`"
    )


def _value(value):
    return f"{value:g}" if isinstance(value, float) else str(value)


def render(finding) -> str:
    """A finding's advice with its fixes as flags where `ktk` has them.

    The output layer's initializer (the `initial_loss` fix) has no flag:
    `ktk`'s builders start that layer small, so it stays in Python words.
    """
    from keras_training_kit.diagnostics.rules import python_fix

    def words(fix):
        if finding.kind != "initial_loss" and set(fix) <= set(FLAGS):
            return flag_fix(fix)
        return python_fix(fix)

    return finding.render(words)


class FlagAdvice(logging.Filter):
    """Rewrites the callbacks' finding warnings with flags.

    `SampledStatistics` logs `"%s: %s"` with the prefix, the advice and
    the `Finding` attached as `record.finding`.
    """

    def filter(self, record):
        finding = getattr(record, "finding", None)
        if finding is not None and len(record.args or ()) == 2:
            record.args = (record.args[0], render(finding))
        return True
