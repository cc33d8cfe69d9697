"""nexgym.synth (being built)."""
