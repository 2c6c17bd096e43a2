"""What the tests of every app share beyond the fixtures of `massline/conftest.py`."""
