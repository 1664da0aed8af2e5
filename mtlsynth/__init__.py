"""Multi-task learning with a scikit-learn API, for multi-dialect speech synthesis."""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
