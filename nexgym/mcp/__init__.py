"""nexgym.mcp (being built)."""
