"""Adapters: the ports implemented against AWS services and outside systems."""
