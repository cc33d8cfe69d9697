"""nexgym.pz (being built)."""
