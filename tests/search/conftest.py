from tests.breaches.conftest import case_study_factory, index  # noqa: F401 - shared fixtures
