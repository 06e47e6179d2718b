"""Renderers: workbooks and documents written for people to open."""
