"""nexgym.grounding (being built)."""
