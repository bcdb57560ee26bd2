"""The refusals a table's reader raises that its callers complete with how the file is read: text in
feature columns (:class:`TextFeaturesError`) and a label column the table lacks
(:class:`LabelColumnMissingError`); :mod:`tlcore.data.tables` raises them."""

from __future__ import annotations

from collections.abc import Sequence

from tlcore.data.categories import TEXT_ONEHOT
from tlcore.errors import TLError


class TextFeaturesError(TLError):
    """A table with text in feature columns (``what`` says which), read without ``text=onehot``.
    Without a label column read, the first is most often the label column under another name: the
    callers that know how the file is read add how to name it and how to encode them (:meth:`hint`);
    else the text columns must go or be encoded (:meth:`unhinted`)."""

    def __init__(
        self, what: str, columns: Sequence[str], label_column: str | None, first: str | None = None
    ) -> None:
        """``columns``: the text columns as ``label=`` selects them; ``label_column`` and ``first`` (the
        first of them, where a message suggests it as the label column) as a message names them."""
        self.what, self.columns, self.label_column = what, tuple(columns), label_column
        self.first = first or self.columns[0]
        encode = f"the spec option {TEXT_ONEHOT}"
        super().__init__(self.unhinted(encode) if label_column else self.hint("label=COLUMN", encode))

    def hint(self, how: str, encode: str) -> str:
        """The message suggesting the first text column as the label column, named ``how``, or the
        columns as features encoded 0/1 per value, ``encode``; of several text columns one at most
        holds labels (an unlabelled table's are features, such as a region)."""
        if len(self.columns) == 1:
            return f"{self.what} (the label column? {how}; a feature, such as a region? {encode})"
        return (
            f"{self.what} (only a label column may hold text: drop the others, or encode them as a 0/1 "
            f"column per value: {encode}; if {self.first} holds the labels, {how})"
        )

    def unhinted(self, encode: str) -> str:
        """The message for a table whose label column is known (or said to be none), ``encode`` saying
        how to encode the text columns."""
        labels = f"only the label column, {self.label_column}," if self.label_column else "no column"
        them = "them" if len(self.columns) > 1 else "it"
        return (
            f"{self.what} ({labels} may hold text: drop {them}, or encode {them} as a 0/1 column per "
            f"value: {encode})"
        )


class LabelColumnMissingError(TLError):
    """A table without the label column it was read with (``what`` says which, and the columns it has):
    most often an unlabelled target named with its source's label column. The callers that know how
    the file is read add how to read it unlabelled (:meth:`hint`)."""

    def __init__(self, what: str) -> None:
        self.what = what
        super().__init__(self.hint("read it with label=none"))

    def hint(self, how: str) -> str:
        """The message with how to read the table without labels, ``how``."""
        return f"{self.what}; a table without labels (an unlabelled target): {how}"
