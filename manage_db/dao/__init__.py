"""Data access: where things live (catalog queries, version tables, files), no decisions."""
