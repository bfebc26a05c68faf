"""Contests (中国创新创业大赛 ...): the contest and rubric as YAML, eligibility, judge assignment, scoring.

Pure engines: no web or database imports.
"""
