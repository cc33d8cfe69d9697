"""nexgym.wrappers: noise, faults, budgets, space conversion and recording."""
