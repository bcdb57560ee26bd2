"""Diagnose: how big is the gap, why (what differs, how the labels moved, what is new), what to try."""

from dataclasses import replace

import streamlit as st

from app_support import copies_fix, diagnose_figures, diagnosis, display, engine, state
from app_support import explain as explain_support
from tlcore.adapt.source_model import NeedsSourceOnlyModel
from tlcore.diagnosis_settings import PCA_DIM, UMAP_POINTS, GapSettings
from tlcore.explain.columns import compared_on
from tlcore.explain.headline import gap_reading
from tlcore.gap_level import gap_level
from tlcore.numbers import p_shown, significant
from tlcore.split_names import HELD_OUT_SPLITS
from tlcore.views import (
    class_gaps,
    column_table,
    diagnosis_report,
    explore,
    thumbnails,
)

LEVEL_BOX = {"none": st.success, "small": st.info, "moderate": st.warning, "large": st.warning}
COLOUR_BY = {"domain": "Domain", "label": "Class", "prediction": "Model prediction"}
DEFAULTS = GapSettings()
PERMUTATIONS = sorted({100, 200, 500, 1000, 2000, DEFAULTS.n_permutations})
UMAP_CHOICES = sorted({500, 1000, 1500, 3000, 5000, UMAP_POINTS})

st.title("Diagnose")
source_spec, target_spec = state.pair()
st.caption(f"Source {display.esc(source_spec)} → target {display.esc(target_spec)}")

runs = engine.model_runs(source_spec, target_spec)
with display.errors_shown():
    source, target = engine.load_pair(source_spec, target_spec)
    shared = copies_fix.shared_box(source_spec, target_spec)
    with st.expander("Settings", icon=":material/settings:"):
        left, middle, right = st.columns(3)
        features = left.selectbox(
            "Feature space",
            ["raw", *runs],
            key=state.choice_default(state.DIAGNOSE_FEATURES, ["raw", *runs], "raw"),
            format_func=lambda key: (
                (
                    f"raw pixels (PCA {PCA_DIM})"
                    if source.is_image
                    else f"raw values (standardised, PCA {PCA_DIM} if wider)"
                )
                if key == "raw"
                else f"model of run {runs[key]}"
            ),
            help="Measure the gap on the inputs, or on the penultimate layer of a done run's model.",
        )
        permutations = middle.select_slider(
            "Permutations (MMD test)",
            PERMUTATIONS,
            key=state.form_default(state.DIAGNOSE_PERMUTATIONS, DEFAULTS.n_permutations),
            help="The default is what every run's gap before / after uses.",
        )
        umap_points = right.select_slider(
            "UMAP points per domain",
            UMAP_CHOICES,
            key=state.form_default(state.DIAGNOSE_UMAP_POINTS, UMAP_POINTS),
            help=f"A seeded subsample of each domain. `python -m tlcore diagnose --json` prints the same map "
            f"({UMAP_POINTS} points by default; `--umap-points N` for another N).",
        )
    if features != "raw":  # QA: an AdaBN run's MMD² here 0.00606, its stored gap after 0.00477
        st.caption(
            f"Measured on every sample of the pair; the gap after that run {display.esc(runs[features])} "
            f"stored (Compare, runs show) is on its {HELD_OUT_SPLITS}: `python -m tlcore diagnose "
            f"--features run:{features} --held-out` reproduces it."
        )
    reuse = not st.session_state.pop(state.DIAGNOSE_RECOMPUTE, False)  # "Recompute" skips the cache
    with st.spinner("Measuring the gap: features, MMD test, CORAL, domain classifier…"):
        settings = replace(DEFAULTS, n_permutations=permutations)
        measured = diagnosis.gap_report(source_spec, target_spec, features, settings, reuse=reuse)
    report = measured.value
    page = (source_spec, target_spec, features)  # what names the page's figures (diagnose_figures)

    shift = diagnosis_report.counted_in(
        report, explain_support.label_shift(source_spec, target_spec, features)
    )
    told = explain_support.explanation(source_spec, target_spec, features, report, shift, reuse=reuse)
    explained = told.value
    unread = explained.unread(report)  # what a side of blank images voids, and why

    with st.container(border=True):
        st.markdown("#### :material/lightbulb: Verdict")
        st.markdown(display.esc(explained.verdict.headline))
        st.markdown(f"**Next step:** {display.esc(explained.verdict.next_step)}")
        first = explained.verdict.causes[0] if explained.verdict.causes else None
        if first is not None and first.fix_specs:
            st.button(
                f"Apply this fix: {first.fix_words()}",
                type="primary",
                icon=":material/auto_fix_high:",
                on_click=state.apply_fix,
                args=(first.fix_specs,),
                help=f"Sets the spec{'s' * (len(first.fix_specs) > 1)} and diagnoses the pair again.",
            )
        if len(explained.verdict.causes) > 1:
            with st.expander("Every cause found, largest share of the gap first"):
                for cause in explained.verdict.causes:
                    share = f" ({cause.describe_share()})" if cause.share is not None else ""
                    st.markdown(
                        f"- **{display.esc(cause.title)}**{display.esc(share)}: {display.esc(cause.detail)}"
                    )
        if check := diagnosis_report.check_note(explained):
            st.caption(display.esc(check))
        if cached := [step.note() for step in (measured, told) if step.reused]:
            # a third for the button: in a fifth at 1000 px it read "Reco…" (QA)
            note, redo = st.columns([2, 1], vertical_alignment="center")
            note.caption(display.esc(f"Diagnosis {cached[0]}."))
            redo.button("Recompute", icon=":material/refresh:", on_click=explain_support.recompute)

    st.subheader("How big the gap is")
    gap = report.gap
    cards = st.container(horizontal=True, gap="medium")  # cards as wide as their numbers; they wrap
    cards.metric(
        "MMD²",
        significant(gap.mmd2),
        help="Kernel two-sample distance; 0 when the domains match.",
        width="content",
    )
    cards.metric(
        "MMD p-value",
        f"{gap.p_value:.3g}",
        help=f"{gap.n_permutations}-permutation MMD test; below 0.05 it tells the domains apart.",
        width="content",
    )
    cards.metric(
        "CORAL", significant(gap.coral), help="Distance between the feature covariances.", width="content"
    )
    cards.metric(
        "Proxy A-distance",
        f"{gap.a_distance:.2f} / 2",
        help="2·(1 - 2·error) of a domain classifier: 0 = indistinguishable, 2 = fully separable.",
        width="content",
    )
    cards.metric(
        "Classifier p-value",
        p_shown(gap.domain_p_value),
        help="The domain classifier's held-out accuracy against chance (a classifier two-sample test); "
        "below 0.05 it tells the domains apart. There is a gap when either test tells them apart.",
        width="content",
    )
    copied = None if shared is None else shared.copied
    reading, copies_lead = gap_reading(report, "per_class" not in unread, copied)
    box = st.warning if copies_lead else LEVEL_BOX[gap_level(gap)]  # no "all clear" beside the copies
    box(display.esc(reading), icon=":material/insights:")
    for note in diagnosis_report.pairing_notes(report):
        st.warning(display.esc(note), icon=":material/merge_type:")
    st.caption(
        f"{gap.n_source:,} source and {gap.n_target:,} target samples, feature space "
        f"{report.feature_space} ({report.feature_dim} dims), {report.seconds['total']:.1f} s."
    )

    st.subheader("Where the domains sit")
    umap_slot = st.container()  # filled last: the findings below need not wait for the UMAP

    left, right = st.columns(2)
    with left:
        gaps = diagnose_figures.class_gap(page, measured)
        if "per_class" in unread:
            why = f"Per-class gaps by predicted labels {unread['per_class']}."
            st.info(display.esc(why), icon=":material/info:")
        elif gaps is not None:
            st.plotly_chart(gaps)
            st.caption(display.esc(class_gaps.class_gap_note(report)))
            if missing := class_gaps.unmeasured_note(report):  # the classes the bars leave out, and why
                st.caption(display.esc(missing))
        else:
            st.info(display.esc(f"No per-class gaps: {report.per_class_note}."), icon=":material/info:")
        if report.label_shift and "label_shift" not in unread:
            estimate = None if isinstance(shift, NeedsSourceOnlyModel) else shift
            st.caption(display.esc(diagnosis_report.describe_label_shift(report, estimate)))
    with right:
        st.markdown("**Most foreign target samples**")
        where = "Under each" if target.is_image else explore.LOG_ODDS  # under each picture, or a column
        odds = f"{where}: {explore.LOG_ODDS_WORDS}"
        st.caption(f"Those a domain classifier is surest do not look like the source. {odds}")
        foreign = explore.most_foreign(report, 24)
        if target.is_image:
            labels = [explore.foreign_log_odds(report.target_log_odds[i]) for i in foreign]
            st.image(thumbnails.thumbnail_grid(target.X[foreign], labels, columns=8), width="stretch")
        else:
            moved = [c.index for c in column_table.drifted_columns(explained)]  # the verdict's columns first
            st.dataframe(explore.foreign_rows(report, target, foreign, moved), height=260, hide_index=True)

    st.subheader("What differs")
    if explained.columns:  # feature vectors: which columns moved, and their shares of the gap
        drifted = column_table.drifted_columns(explained)
        if any(c.share is not None for c in drifted):
            st.plotly_chart(diagnose_figures.columns(page, told, drifted), key="columns")
        if drifted:  # a text column's mix wrapped, cut to its largest changes: each row is the tallest's
            rows, width = column_table.column_rows(drifted, column_table.MIX_SHOWN), display.MIX_PX
            cut = column_table.cut_mixes(drifted)
            whole = " Each mix whole under the table." if cut else ""
            mix = st.column_config.TextColumn(width=width, help=f"The largest changes first.{whole}")
            wide = {column_table.MIX: mix} if any(column_table.MIX in row for row in rows) else None
            height = display.wrapped_rows(rows, {column_table.MIX: width})
            st.dataframe(rows, hide_index=True, row_height=height, column_config=wide)
            if cut:
                with st.expander("Each text column's mix in full"):
                    for name, whole_mix in cut:
                        st.markdown(f"- **{display.esc(name)}**: {display.esc(whole_mix)}")
        else:
            none = f"No column moved ({compared_on(explained.columns)})."
            st.success(display.esc(none), icon=":material/check_circle:")
        st.caption(display.esc(column_table.columns_lead(explained)))  # the reading below: 8 lines (QA)
        with st.expander("How the columns are read", icon=":material/help:"):
            lines = column_table.columns_reading(explained)
            st.markdown(
                "\n".join(f"- **{display.esc(what)}**: {display.esc(means)}" for what, means in lines)
            )
    elif not explained.applies:
        st.info(display.esc(explained.note or "The image checks do not apply here."), icon=":material/info:")
    else:
        firing = explained.firing
        if firing:
            st.plotly_chart(diagnose_figures.findings(page, told), key="findings")
            rows = diagnosis_report.finding_rows(firing, explained.combined)
            # the deciding columns fit 1024 px: the statistic, the fix and its change wrapped, narrow (QA)
            height = display.wrapped_rows(rows, display.FINDING_PX)
            config = {name: st.column_config.TextColumn(width=px) for name, px in display.FINDING_PX.items()}
            config["difference"] = st.column_config.TextColumn(
                "SDs", help="Target - source, in source standard deviations (native size: log2 pixel ratio)."
            )
            st.dataframe(
                rows,
                hide_index=True,
                column_order=diagnosis_report.finding_order(rows),
                column_config=config,
                row_height=height,
                height=display.table_height(len(rows), height),
            )
            with st.expander("Each finding in words"):
                for row in rows:
                    st.markdown(f"- **{display.esc(row['statistic'])}**: {display.esc(row['finding'])}")
            if any(f.fix and f.fix.check for f in firing):  # a blank side: nothing to fix, no effects
                st.caption(display.esc(f"Fix effects {explained.basis}."))
        else:
            st.success("The images look alike on every statistic.", icon=":material/check_circle:")
        if chance := diagnosis_report.chance_caption(explained):  # alike within chance: not counted
            st.caption(display.esc(chance))
        if explained.mean_images is not None:
            st.plotly_chart(diagnose_figures.mean_images(page, told), key="mean_images")
        if explained.note:  # what was subsampled, how many images are blank
            st.caption(display.esc(explained.note))

    left, right = st.columns(2)
    with left:
        st.subheader("How the labels moved")
        if "label_shift_estimate" in unread:
            st.info(display.esc(f"Label shift {unread['label_shift_estimate']}."), icon=":material/info:")
        elif isinstance(shift, NeedsSourceOnlyModel):
            st.info(
                display.esc(  # QA read "no source-only model of …: label shift is read from the pair's …"
                    "Not estimated yet: the target's class proportions are read by the pair's source-only "
                    f"model, and there is {shift.reason}. Train it with the button or the command below."
                ),
                icon=":material/info:",
            )
            # wrapped: in half a 1024 px page it showed "python -m tlcore adapt --source upl", the rest
            # scrolled sideways (QA)
            st.code(shift.command, language="bash", wrap_lines=True)
            if st.button("Train the source-only model", icon=":material/model_training:"):
                run_id = explain_support.train_source_only(shift)
                st.toast(f"Launched run {run_id}: the estimate appears here once it is done")
        else:
            box = st.info if shift.trusted else st.warning
            box(display.esc(shift.describe()), icon=":material/bar_chart:")
            if not shift.consistent:
                st.caption("EM and BBSE disagree: the classes themselves look different on the target.")
            st.plotly_chart(diagnose_figures.class_proportions(shift), key="proportions")
            if shift.model:  # which source-only model read it
                st.caption(display.esc(shift.model))
    with right:
        st.subheader("Where the target is new")
        novelty = report.novelty
        if "novelty" in unread:
            st.info(display.esc(f"The novel share is {unread['novelty']}."), icon=":material/info:")
        elif novelty is None:
            st.info("Not measured for this pair.", icon=":material/info:")
        else:
            st.metric(
                "Target samples without source neighbours",
                f"{novelty.share:.1%}",
                f"{100 * (novelty.share - novelty.expected_share):+.1f} pts vs chance",
                delta_color="inverse",
            )
            st.caption(display.esc(explained.describe_coverage(novelty, report.feature_space)))
            after = explained.describe_novelty_fix()
            if after:
                st.caption(display.esc(after))
            novel = list(novelty.most_novel[:24])
            if novel and target.is_image and novelty.level == "new":  # covered: the farthest are not new
                st.caption("The target samples farthest from every source sample, farthest first:")
                st.image(thumbnails.thumbnail_grid(target.X[novel], None, columns=8), width="stretch")

    st.download_button(
        "Diagnosis report (HTML)",
        display.report_on_click(
            lambda: diagnosis_report.diagnosis_report(  # it leaves out what ``unread`` voids
                report,
                explained,
                label_shift=None if isinstance(shift, NeedsSourceOnlyModel) else shift,
                shared=shared and shared.line(workspace=engine.command_workspace()),
                copied=copied,
            ),
            "the diagnosis report",
        ),
        diagnosis_report.report_name(source_spec, target_spec),
        "text/html",
        on_click="ignore",  # no rerun: the gap report is not measured again, the report stays fetchable
        icon=":material/description:",
    )

    with umap_slot:
        read = features != "raw" and not explained.not_measured  # a model's outputs on blank images: void
        predicted = engine.predictions(source_spec, target_spec, features) if read else None
        projected = diagnosis.umap(
            source_spec, target_spec, features, settings.seed, umap_points, reuse=reuse
        )
        points = explore.umap_points(replace(report, umap=projected.value), source, target, predicted)
        plot, side = st.columns([2, 1])
        with plot:
            options = [c for c in COLOUR_BY if c != "prediction" or predicted is not None]
            colour_by = st.segmented_control(
                "Colour by", options, default="domain", format_func=COLOUR_BY.get, key="colour_by"
            )
            colour_by = colour_by or "domain"
            fig = diagnose_figures.umap(
                page, measured, projected, points, colour_by=colour_by, classes=source.classes
            )
            event = st.plotly_chart(fig, on_select="rerun", selection_mode=("box", "lasso"), key="umap")
            if colour_by == "prediction" and (note := engine.prediction_note(features)):
                st.caption(display.esc(note))  # only the map shows the run's predictions on the source
            if projected.reused:
                st.caption(display.esc(f"UMAP {projected.note()}."))
        with side:
            chosen = points.loc[display.selected_points(event)]
            if chosen.empty:
                st.info("Draw a box or lasso on the map to inspect those samples.", icon=":material/gesture:")
            else:
                share = explore.domain_share(chosen)
                st.markdown(f"**{len(chosen):,} samples selected**")
                st.progress(
                    share["source"], text=f"source {share['source']:.0%} · target {share['target']:.0%}"
                )
                images, captions = explore.selection_images(chosen, source, target)
                if source.is_image:
                    st.image(thumbnails.thumbnail_grid(images, captions, columns=6), width="stretch")
