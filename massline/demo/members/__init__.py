"""Synthetic party members at the real scale, for the demo and the benchmarks: who they are
(`people`, drawing on `population`) and writing them to the roster or a roster file (`load`)."""

from .load import GenerateResult, generate_members

__all__ = ["GenerateResult", "generate_members"]
