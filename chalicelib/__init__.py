"""SPSR: the Social Protection Single Registry, packaged by Chalice.

Layers (dependencies point inward): ``api``/``tasks`` -> ``services`` -> ``domain``;
``adapters`` implement ``ports``; only ``bootstrap`` builds adapters and AWS clients.
"""
