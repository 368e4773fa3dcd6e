"""Core domain of the inspection platform: firms, departments, officers, users,
plans, draws, visits, findings, evaluations, the event log and oversight queries.

Named ``inspection`` rather than ``inspect``: a top-level ``inspect`` package would
shadow the standard library module that Flask, SQLAlchemy and marshmallow import.
"""
