"""Why two domains differ, and what to try: image statistics -> findings -> checked fix specs -> verdict.

Entry point: :func:`tlcore.explain.explanation.explain`. Modules: :mod:`.image_stats` (each
statistic's definition), :mod:`.findings` (source vs target, severity), :mod:`.fixes` (the registered
shift that undoes a finding, its spec, its check), :mod:`.verdict` (the ranked causes),
:mod:`.mean_images`, :mod:`.settings`.
"""
