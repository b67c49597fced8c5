"""Sources: readers that turn published files into long-form records, and the import into the store."""
