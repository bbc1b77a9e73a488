"""Benchmarks run by `make bench` (``manage.py bench``).

Each module here defines ``run(out: Callable[[str], None], *, quick: bool) -> None`` and prints its figures
through ``out``. Targets live here as printed PASS/FAIL lines, never in timed tests.
"""
