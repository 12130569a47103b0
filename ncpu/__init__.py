"""ncpu: write the body of a stub function, and offer it only after it passed the user's own examples."""

__version__ = "0.1.0"
