"""Errors a user can act on. Each message is one plain sentence: what is wrong and what to do."""

from __future__ import annotations


class MicqaError(Exception):
    """Base class: ``str(err)`` is the sentence shown to the user."""

    exit_code = 1


class BadQuestion(MicqaError):
    exit_code = 2


class IndexMissing(MicqaError):
    exit_code = 3


class IndexNeedsRebuild(MicqaError):
    exit_code = 3


class IngestLocked(MicqaError):
    exit_code = 4


class BackendError(MicqaError):
    """An LLM backend failed (missing package, key, unreachable server, timeout)."""

    exit_code = 5
