"""The REST API: one package per area, each with routes, models and services."""
