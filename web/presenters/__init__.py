"""Presenters: what a record looks like on a page (labels, local times, links), shared by the pages and the API."""
