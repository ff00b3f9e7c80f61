"""micqa core: records, settings, store, retrieval, answering, citations. Imports no other project package."""
