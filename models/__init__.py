"""Pydantic models shared by every part of Orderly: catalog, order form, order view, policy, settings, tables.

Nothing here imports from workflows/, activities/ or starter/.
"""
