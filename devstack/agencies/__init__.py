"""Government agency stubs for local runs and tests: real HTTP servers on loopback answering from
the synthetic population (see ``services`` for the list and protocols, ``run`` for the launcher)."""
