"""Use cases: each orchestrates the domain and the ports and is the transaction boundary."""
