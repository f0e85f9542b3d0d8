"""The local paying bank: takes pain.001 files, answers pain.002, later notifies camt.054 (never deployed)."""
