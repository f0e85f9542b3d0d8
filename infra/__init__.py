"""Infrastructure definitions: the one place tables, buckets and their indexes are described."""
