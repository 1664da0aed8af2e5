"""Helpers that several parts of the package use: validation of task labels
and weights, BLAS threads, atomic files and progress."""
