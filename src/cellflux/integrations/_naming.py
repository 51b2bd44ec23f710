"""Which chart a framework's logged value goes to: the pairing rules, written once.

Frameworks name the same quantity on different splits in their own ways:
``loss``/``val_loss`` (Keras), ``train_loss``/``val_loss`` or ``train/acc``/
``val/acc`` (Lightning), ``loss``/``eval_loss`` (Hugging Face), ``train-logloss``/
``valid-logloss`` (XGBoost), one result per dataset (LightGBM). Keys that differ
only by their split share a chart named after the quantity, so train and
validation are drawn together; anything else (the learning rate, the gradient
norm, ...) names its own chart. Pure: no framework, no cellflux state.

>>> name_of("val_loss")
Name(key='val_loss', quantity='loss', split='val')
>>> name_of("train/acc").quantity, name_of("learning_rate").quantity
('acc', 'learning_rate')
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

SPLITS = {
    "train": "train", "training": "train",
    "val": "val", "valid": "val", "validation": "val", "eval": "val", "evaluation": "val", "dev": "val",
    "test": "test",
}
"""Words that name a split, as a prefix (``val_loss``) or a suffix (``loss/val``), and the split they mean."""

CADENCE_SUFFIXES = ("_step", "_epoch")
"""Lightning's suffixes for a value logged both per step and per epoch (``train_loss_step``)."""

NOT_METRICS = frozenset({"epoch", "step", "global_step", "iteration"})
"""Keys that are the x of the others (Lightning and Hugging Face log them with every value)."""

_SEP = r"[_/\-. ]"
_PREFIX = re.compile(rf"^({'|'.join(SPLITS)}){_SEP}+(.+)$", re.IGNORECASE)
_SUFFIX = re.compile(rf"^(.+?){_SEP}+({'|'.join(SPLITS)})$", re.IGNORECASE)


@dataclass(frozen=True)
class Name:
    """A logged key, the quantity whose chart it goes to, and its split (None: not said)."""

    key: str
    quantity: str
    split: str | None


def name_of(key: str) -> Name | None:
    """The chart of a logged key, or None for a key that is not a metric (``epoch``)."""
    if key.lower() in NOT_METRICS:
        return None
    base = key
    for suffix in CADENCE_SUFFIXES:
        if base.endswith(suffix) and len(base) > len(suffix):
            base = base[: -len(suffix)]
            break
    found = _PREFIX.match(base)
    if found is not None:
        return Name(key, found.group(2), SPLITS[found.group(1).lower()])
    found = _SUFFIX.match(base)
    if found is not None:
        return Name(key, found.group(1), SPLITS[found.group(2).lower()])
    return Name(key, base, None)


@functools.lru_cache(maxsize=512)  # the boosting callbacks ask again each round, for the same few results
def name_of_result(dataset: str, metric: str) -> Name:
    """The chart of a boosting library's result of ``metric`` on the dataset named ``dataset``.

    The key is ``dataset-metric`` as XGBoost prints it; the quantity is the
    metric, whatever the user named the datasets (``dtrain``, ``valid_0``).
    """
    named = _PREFIX.match(f"{dataset}_x") or _SUFFIX.match(f"x_{dataset}")
    split = None
    if named is not None:
        word = named.group(1) if named.re is _PREFIX else named.group(2)
        split = SPLITS[word.lower()]
    return Name(f"{dataset}-{metric}", metric, split)
