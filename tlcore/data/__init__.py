"""The data layer: every dataset is a :class:`Domain`, named by a spec string.

- built-in offline domains (:mod:`.builtin`) and torchvision sets (:mod:`.torchvision_sets`);
- synthetic shifts (:mod:`.shifts`), one spec parser and loader (:mod:`.spec`), the catalog
  (:mod:`.catalog`);
- custom uploads (:mod:`.uploads`, reading via :mod:`.archive`, :mod:`.images`, :mod:`.npz`,
  :mod:`.tables`, :mod:`.values`);
- pairing (:mod:`.harmonise`) and splits / paired batches (:mod:`.splits`).
"""

from tlcore.data.catalog import list_domains
from tlcore.data.domain import Domain
from tlcore.data.harmonise import PairReport, harmonise
from tlcore.data.shifts import apply_shifts, list_shifts, register_shift
from tlcore.data.spec import DomainSpec, load_domain, parse_spec
from tlcore.data.splits import PairedBatchSampler, train_test_split
from tlcore.data.uploads import list_uploads, read_path, save_upload

__all__ = [
    "Domain",
    "DomainSpec",
    "PairReport",
    "PairedBatchSampler",
    "apply_shifts",
    "harmonise",
    "list_domains",
    "list_shifts",
    "list_uploads",
    "load_domain",
    "parse_spec",
    "read_path",
    "register_shift",
    "save_upload",
    "train_test_split",
]
