"""The columns' words (tlcore.views.glossary) say whose number a column holds: a sweep column's part
decides the model, so the term itself names none (QA helper-126: ``validators.before.effective_classes``
read "classes the adapted model predicts ... (of its source-only model)"), and the glossary's own words
for a bare column are not overwritten by a validator's of the same name."""

from tlcore.selection.settings import VALIDATORS
from tlcore.views.glossary import column_help, legend


def test_a_sweep_column_names_one_model_its_parts():
    before = column_help("validators.before.effective_classes")
    assert before is not None and "adapted" not in before and before.endswith("(of its source-only model)")
    after = column_help("validators.after.effective_classes mean")
    assert after is not None and after.startswith("effective number of target classes the model predicts")
    assert after.endswith("(of the adapted model); mean over the seeds")
    assert column_help("validators.before.source_accuracy") == (
        "source acc (source accuracy): accuracy on the source validation split (of its source-only model)"
    )


def test_a_bare_column_keeps_the_glossarys_words_and_the_ranking_column_names_the_adapted_model():
    assert column_help("source_accuracy mean") == (
        "the adapted model's accuracy on the source validation split; mean over the seeds"
    )
    assert column_help("CLASSES").startswith("effective number of target classes the adapted model predicts")
    assert legend(["source acc"]) == ["source acc (source accuracy): accuracy on the source validation split"]


def test_every_validator_reads_label_then_its_full_name_then_what_it_scores():
    """Compare's "Rank by" options: the last one read "source acc: accuracy ..." beside "EnsV (ensemble
    validation): ..."."""
    for validator in VALIDATORS.values():
        assert validator.words.startswith(f"{validator.label} ({validator.full}): "), validator.words
