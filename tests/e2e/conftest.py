"""End-to-end tests: the `e2e` marker (long, real processes); `-m "not e2e"` leaves them out."""


def pytest_configure(config) -> None:
    config.addinivalue_line("markers", "e2e: end-to-end tests with real processes (long)")
