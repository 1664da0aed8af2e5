"""Helpers that several parts of the package use: validation of task labels
and weights, BLAS threads, linear solvers, atomic files and progress."""
