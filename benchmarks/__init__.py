"""Scripts that print figures (not tests). Run each from the repository root as a module, e.g.
``python -m benchmarks.run_all`` or ``python -m benchmarks.case_search --rows 100000``: the package is importable
from there (the tests import its crowd), so no script edits ``sys.path``."""
