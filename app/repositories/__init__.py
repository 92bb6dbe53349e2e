"""Queries and writes; never commit. Integrity errors become domain errors here."""
