from tests.breaches.conftest import case_study_factory, index, small_image  # noqa: F401
