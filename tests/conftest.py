"""Shared pytest configuration."""


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "browser: renders HTML in headless Chromium (skipped when no chromium binary is installed; "
        ".ci/run installs Debian's chromium package)",
    )
