"""A package folder: pkg/__init__.py makes it importable."""
