"""Tests of the registration plugin (PRODUCT.md §4 "Registration plugin")."""
