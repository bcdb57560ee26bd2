"""tlcore: the transfer-learning and domain-adaptation engine behind tlstudio.

Pure PyTorch / NumPy; never imports streamlit. The app and the CLI are thin layers over it.
"""

from tlcore.errors import TLError

__all__ = ["TLError"]
__version__ = "0.1.0"
