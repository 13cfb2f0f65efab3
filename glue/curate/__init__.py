"""Curation of the data lake's session events: one package, run by Glue, EMR Serverless and pytest."""
