"""Tests of the marketplace plugin (PRODUCT.md §4 "Marketplace plugin")."""
