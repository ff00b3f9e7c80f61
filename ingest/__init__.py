"""micqa ingestion: load, structure, tables, chunking, build. May import rag for records/settings/store."""
