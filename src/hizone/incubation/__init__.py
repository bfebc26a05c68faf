"""The incubation chain: carriers, the national-level self-check, graduation and grades (pure)."""
