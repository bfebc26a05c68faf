"""Deterministic synthetic demo data, calibrated to published national totals; labelled synthetic."""

from hizone.demo.generate import DemoData, generate
from hizone.demo.load import load

__all__ = ["DemoData", "generate", "load"]
