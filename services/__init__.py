"""Glue between views and models: audit, numbering, storage, PDFs, access scope, exports."""
