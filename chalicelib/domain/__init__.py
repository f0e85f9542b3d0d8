"""Pure domain: no I/O, no AWS, no framework imports."""
