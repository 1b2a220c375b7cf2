"""The back office runs on the same fixtures as delivery: a migrated database, blobs, a clock, staff."""

from tests.dispatch.conftest import *  # noqa: F403 - pytest finds fixtures by module name
