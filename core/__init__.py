"""Shared pieces that every domain package may use and that use nothing of ours."""
