"""Loaded into scripts/fuzz-api's schemathesis (through a .pth file in its virtualenv).

Hypothesis describes a lambda by parsing the source file it came from; on some CPython 3.11
builds `ast.parse` of a large file deep in a call stack raises SystemError ("AST constructor
recursion depth mismatch", CPython gh-106905) instead of answering, and the run stops with a
runtime error that says nothing about gridhub. A description is only for messages: when parsing
fails, describe the lambda as unknown and go on."""

try:
    from hypothesis.internal import lambda_sources

    _describe = lambda_sources.lambda_description

    def _lambda_description(f):
        try:
            return _describe(f)
        except (SystemError, RecursionError):
            return "lambda: <unknown>"

    lambda_sources.lambda_description = _lambda_description
except ImportError:
    pass
