"""nexgym.envs: the domains (worlds, tools, tasks, verifiers, oracle plans) and the catalog."""
