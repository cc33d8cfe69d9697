"""The kit every domain is built from.

- :mod:`.base`: the contract (``Domain``, ``Task``, ``Goal``, ``Plan``) and the checks
  (``answer_has``, ``compose_task``);
- :mod:`.taskgen`: ``GeneratedDomain``, a domain whose tasks are drawn goals, and ``call``;
- :mod:`.draws`: seeded draws from a task's generator (``numpy_rng``, ``pick``, ``sample``);
- :mod:`.names`: people, companies, cities and teams to draw from;
- :mod:`.sqlworld` and :mod:`.sqlbudget`: a world kept in in-memory SQLite, with bounded queries;
- :mod:`.tool_server`: how a domain declares that a third-party MCP server serves its tools.
"""
