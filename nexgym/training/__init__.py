"""nexgym.training (being built)."""
