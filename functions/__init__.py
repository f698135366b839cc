"""The Lambda functions' code. Importing it first defers the `__init__` of a few third-party packages that
import far more than we use (functions/deferred_packages.py says which and why): every handler's cold start."""

from functions.deferred_packages import defer_all

defer_all()
