"""Why a gap exists and what to try: what differs between two image domains, the fix specs that
undo it (each checked), and one verdict that ranks every cause found.

Entry point: :func:`tlcore.explain.explanation.explain`. Image statistics -> findings -> checked fix
specs -> verdict: :mod:`.per_image_stats` (each statistic's definition), :mod:`.image_stats` (a
domain's summary), :mod:`.findings` (source vs target, severity), :mod:`.fixes` (the registered shift
that undoes a finding, its spec, its check), :mod:`.verdict` (the ranked causes, label shift and new
regions among them), :mod:`.mean_images`, :mod:`.columns` (feature vectors: which columns moved, each
one's share of the gap), :mod:`.settings`. The estimates it ranks beside the image causes are pure metrics:
:mod:`tlcore.metrics.prior_shift` (BBSE / EM) and :mod:`tlcore.metrics.coverage` (novelty).
"""
