"""What one benchmark run measures: the presets (smoke, quick, full) and their command-line overrides."""

from __future__ import annotations

from dataclasses import dataclass, replace

DEFAULT_PAIR = ("mnist5k", "digits")
TASKS_FULL = (
    ("mnist5k", "digits"),
    ("digits", "mnist5k"),
    ("mnist5k", "mnist5k:colour=1"),
    ("fashion:split=train,n=5000", "fashion:split=test,n=2000,rotate=30,contrast=0.5"),
)
# Constructed pairs of the explain part: a source spec and a target spec of the same data, before shifts.
EXPLAIN_BASES = (("mnist5k", "mnist5k:n=2000"), ("fashion:split=train,n=5000", "fashion:split=test,n=2000"))
# Unsupervised recipes beside the oracle: named ones (tlcore.adapt.recipe.RECIPES, with their own budget,
# as the app launches them) and compositions on the engine's defaults.
RECIPES = ("recommended", "deep_coral+im+adabn", "deep_coral+im")
ORACLE = "target_only"
FEW_SHOT = (1, 5, 10)  # labelled target samples per class of the fine-tuning rows beside the oracle
RECIPE_LABELS = (1, 5, 10)  # ... and of the rows of the recommended recipe trained with them too
SELECTION_PAIRS = (  # labelled pairs whose pools of candidate runs judge the selection rule
    ("mnist5k", "digits"),
    ("digits", "mnist5k"),
    ("fashion:split=train,n=5000", "fashion:split=test,n=2000,rotate=30,contrast=0.5"),
)
# Label shift: (dataset whose half is the source, dataset the imbalanced targets are drawn from).
LABEL_SHIFT_PAIRS = (("digits", "digits"), ("mnist5k", "mnist5k"), ("mnist5k", "digits"))


@dataclass(frozen=True)
class Budget:
    """A training budget: the :class:`~tlcore.adapt.config.AdaptConfig` fields it sets."""

    epochs: int
    batch_size: int
    lr: float


# "Today's budget" of the time-to-a-good-model part: AdaptConfig's defaults before issue 14.
BASELINE_BUDGET = Budget(epochs=10, batch_size=32, lr=1e-3)


@dataclass(frozen=True)
class Plan:
    """Sizes and budgets of one run of the benchmark.

    ``methods`` (empty: every registered method; ``a+b`` for a composition) are compared with
    skada's counterparts under one training budget with augmentation off on both sides; ``recipes``
    (a named recipe with its own budget, or a composition on the engine's default settings,
    augmentation on) are scored against the ``oracle`` and fine-tuning on ``few_shot`` labelled
    target samples per class, both with the engine's defaults, and against the recommended recipe
    trained on ``recipe_labels`` labelled target samples per class too (its ``labelled_target`` term).
    ``ceiling_*``: the throughput ceiling part (:mod:`bench.ceiling`); ``time_to_good_*``: the time
    to a good model part (:mod:`bench.time_to_good`; ``time_to_good_epochs`` replaces both budgets'
    epochs, for tiny runs); ``label_shift_*``: the label shift part (:mod:`bench.label_shift`);
    ``user_pools_epochs``: the user's pools part (:mod:`bench.user_pools`; None: each run's own budget).
    """

    mode: str
    tasks: tuple[tuple[str, str], ...]
    seeds: tuple[int, ...]
    epochs: int
    methods: tuple[str, ...] = ()
    recipes: tuple[str, ...] = RECIPES
    oracle: str | None = ORACLE
    few_shot: tuple[int, ...] = FEW_SHOT
    recipe_labels: tuple[int, ...] = RECIPE_LABELS
    mmd_sizes: tuple[int, ...] = (1000, 5000, 20000)
    mmd_dims: tuple[int, ...] = (64, 256)
    permutations: int = 1000
    mmd_budget_s: float = 300.0
    diagnose_pair: tuple[str, str] = DEFAULT_PAIR
    diagnose_cli: bool = True
    adapt_run_epochs: int = 5
    adapt_run_method: str = "deep_coral+im"  # a composition: the one timed run of the adapt_run part
    app_start: bool = True
    ceiling_pair: tuple[str, str] = DEFAULT_PAIR
    ceiling_method: str = "deep_coral"  # a term: a source and a target batch per step, skada has it
    ceiling_epochs: int = 2  # per measurement
    ceiling_rounds: int = 5  # micro-benchmark, tlcore, skada, in turn; medians of per-round ratios
    time_to_good_pair: tuple[str, str] = DEFAULT_PAIR
    time_to_good_seeds: tuple[int, ...] = (0, 1, 2)
    time_to_good_epochs: int | None = None
    model: str = "auto"  # the accuracy part's network (tlcore.models; auto: the engine's default)
    jobs: int = 1  # worker processes for the accuracy runs
    threads_per_job: int = 1  # torch threads of each worker when jobs > 1
    sweep_trials: int = 24  # the sweep part: 2 compositions x 4 weights x 3 seeds at full size
    sweep_epochs: int = 5
    sweep_import_rounds: int = 3  # fresh processes timing a worker's imports (median)
    selection_pairs: tuple[tuple[str, str], ...] = SELECTION_PAIRS
    selection_seeds: tuple[int, ...] = (0, 1)  # x the 12 candidates of bench.selection.POOL: 24 runs a pair
    selection_epochs: int = 5
    selection_pool: int = 0  # the first N candidates of bench.selection.POOL (0: all)
    user_pools_epochs: int | None = None  # the user_pools part: replaces both runs' budgets (tiny runs)
    label_shift_seeds: tuple[int, ...] = (0, 1, 2)
    label_shift_epochs: int = 10
    label_shift_pairs: tuple[tuple[str, str], ...] = LABEL_SHIFT_PAIRS
    label_shift_profiles: tuple[str, ...] = ()  # names in bench.label_shift.PROFILES; empty: all
    explain_bases: tuple[tuple[str, str], ...] = EXPLAIN_BASES
    explain_shifts: tuple[str, ...] = ()  # registered shifts to construct targets with (empty: all)
    explain_severities: int = 2  # severities per shift (of bench.explain_cases.SEVERITIES)
    explain_epochs: int = 3  # source-only LeNet epochs for the accuracy before / after a fix (0: none)
    photos: int = 50  # the photos part (bench.photos): JPEGs of each kind
    photo_size: tuple[int, int] = (3024, 4032)  # their height x width: a 12-megapixel phone photo


PRESETS: dict[str, Plan] = {
    "full": Plan(mode="full", tasks=TASKS_FULL, seeds=(0, 1, 2), epochs=10),
    "quick": Plan(
        mode="quick",
        tasks=(("mnist5k:n=2000", "digits"),),
        seeds=(0,),
        epochs=2,
        methods=("source_only", "deep_coral", "dann", "coral"),
        recipes=("deep_coral+im",),
        few_shot=(5,),
        recipe_labels=(),
        mmd_sizes=(1000,),
        mmd_dims=(64,),
        mmd_budget_s=20.0,
        adapt_run_epochs=2,
        ceiling_pair=("mnist5k:n=2000", "digits"),
        ceiling_epochs=1,
        ceiling_rounds=2,
        time_to_good_pair=("mnist5k:n=2000", "digits"),
        time_to_good_seeds=(0,),
        time_to_good_epochs=3,
        sweep_trials=4,
        sweep_epochs=1,
        sweep_import_rounds=1,
        selection_pairs=(("mnist5k:n=2000", "digits"),),
        selection_seeds=(0,),
        selection_epochs=2,
        user_pools_epochs=2,
        label_shift_seeds=(0,),
        label_shift_epochs=3,
        label_shift_pairs=(("digits", "digits"),),
        explain_severities=1,
        explain_epochs=1,
        photos=10,
    ),
    "smoke": Plan(
        mode="smoke",
        tasks=(("mnist5k:n=400", "digits:n=300"),),
        seeds=(0,),
        epochs=1,
        methods=("source_only", "deep_coral"),
        recipes=(),
        oracle=None,
        few_shot=(),
        recipe_labels=(),
        mmd_sizes=(200,),
        mmd_dims=(16,),
        permutations=100,
        mmd_budget_s=2.0,
        diagnose_pair=("mnist5k:n=400", "digits:n=300"),
        diagnose_cli=False,
        adapt_run_epochs=1,
        adapt_run_method="deep_coral",
        app_start=False,
        ceiling_pair=("mnist5k:n=400", "digits:n=300"),
        ceiling_epochs=1,
        ceiling_rounds=1,
        time_to_good_pair=("mnist5k:n=400", "digits:n=300"),
        time_to_good_seeds=(0,),
        time_to_good_epochs=2,
        sweep_trials=2,
        sweep_epochs=1,
        sweep_import_rounds=1,
        selection_pairs=(("mnist5k:n=300", "digits:n=200"),),
        selection_seeds=(0,),
        selection_epochs=1,
        selection_pool=4,
        user_pools_epochs=1,
        label_shift_seeds=(0,),
        label_shift_epochs=1,
        label_shift_pairs=(("digits", "digits"),),
        label_shift_profiles=("one class 50%",),
        explain_bases=(("mnist5k:n=400", "mnist5k:n=300"),),
        explain_shifts=("invert", "blur"),  # a target-side and a source-side fix
        explain_severities=1,
        explain_epochs=1,
        photos=2,
        photo_size=(1080, 1440),  # decoded at 1/2 for a 128-pixel output
    ),
}


def build_plan(
    mode: str,
    *,
    tasks: list[tuple[str, str]] | None = None,
    selection_pairs: list[tuple[str, str]] | None = None,
    seeds: int | None = None,
    epochs: int | None = None,
    methods: list[str] | None = None,
    recipes: list[str] | None = None,
    few_shot: list[int] | None = None,
    recipe_labels: list[int] | None = None,
    no_oracle: bool = False,
    mmd_sizes: list[int] | None = None,
    mmd_dims: list[int] | None = None,
    no_app: bool = False,
    model: str | None = None,
    jobs: int | None = None,
    sweep_trials: int | None = None,
    sweep_epochs: int | None = None,
) -> Plan:
    """The preset ``mode`` with any override given."""
    given: dict[str, object] = {
        "tasks": tuple(tasks) if tasks else None,
        "selection_pairs": tuple(selection_pairs) if selection_pairs else None,
        "seeds": tuple(range(seeds)) if seeds is not None else None,
        "epochs": epochs,
        "methods": tuple(methods) if methods is not None else None,
        "recipes": tuple(recipes) if recipes is not None else None,
        "few_shot": tuple(few_shot) if few_shot is not None else None,
        "recipe_labels": tuple(recipe_labels) if recipe_labels is not None else None,
        "mmd_sizes": tuple(mmd_sizes) if mmd_sizes else None,
        "mmd_dims": tuple(mmd_dims) if mmd_dims else None,
        "app_start": False if no_app else None,
        "model": model,
        "jobs": jobs if jobs is not None and jobs > 1 else None,
        "sweep_trials": sweep_trials,
        "sweep_epochs": sweep_epochs,
    }
    changes = {name: value for name, value in given.items() if value is not None}
    if no_oracle:
        changes["oracle"] = None
    plan = PRESETS[mode]
    if changes:
        changes["mode"] = f"{mode} preset with overrides"
    return replace(plan, **changes) if changes else plan
