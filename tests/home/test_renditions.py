"""Image renditions are made by the task worker after an upload, not in a reader's request.

Production's arrangement: the upload stores a task row, `manage.py db_worker` makes every
rendition the templates use, and readers' pages then find them all."""

import io
import os

import pytest
from django.core.files.base import ContentFile
from django.core.files.images import ImageFile
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django_tasks_db.models import DBTaskResult
from PIL import Image as PILImage
from wagtail.images import get_image_model
from wagtail.images.models import Rendition

from breaches.models import BreachCaseStudyPage
from home.renditions import filter_specs

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def run_worker():
    call_command("db_worker", batch=True, startup_delay=False, reload=False, interval=0)


def upload(title="Breach photo"):
    buffer = io.BytesIO()
    PILImage.new("RGB", (1600, 900), (40, 90, 160)).save(buffer, "JPEG")
    return get_image_model().objects.create(title=title, file=ImageFile(buffer, name="breach.jpg"))


def rendition_tasks():
    return DBTaskResult.objects.filter(task_path="home.tasks.make_renditions")


@pytest.mark.django_db(transaction=True)
class TestRenditionsOutsideRequests:
    @pytest.fixture(autouse=True)
    def database_tasks(self, settings):
        settings.TASKS = DATABASE_TASKS

    def test_an_upload_leaves_a_task_and_the_worker_makes_every_rendition(self):
        image = upload()
        task = rendition_tasks().get()
        assert task.args_kwargs == {"args": [image.pk], "kwargs": {}}
        assert not Rendition.objects.filter(image=image).exists()  # not in the upload itself

        run_worker()

        made = set(Rendition.objects.filter(image=image).values_list("filter_spec", flat=True))
        assert made == set(filter_specs())
        assert rendition_tasks().get().status == "SUCCESSFUL"

    def test_readers_pages_find_every_rendition_already_made(self):
        call_command("load_demo_content", stdout=open(os.devnull, "w"))  # noqa: SIM115
        run_worker()
        case_study = BreachCaseStudyPage.objects.live().exclude(hero_image=None).first()
        assert case_study is not None
        before = Rendition.objects.count()
        assert before > 0
        for path in (case_study.url, "/case-studies/"):
            response = Client().get(path)
            assert response.status_code == 200
            assert "<picture" in response.content.decode()
        assert Client().get("/").status_code == 200
        # A missing spec would have been made here, by the reader.
        assert Rendition.objects.count() == before

    def test_an_unreadable_upload_fails_quietly_and_readers_still_get_the_page(self, caplog):
        image = upload()
        # The stored file is damaged before the worker reaches it.
        broken = default_storage.save("original_images/broken.jpg", ContentFile(b"not an image"))
        get_image_model().objects.filter(pk=image.pk).update(file=broken)
        run_worker()
        assert not Rendition.objects.filter(image=image, filter_spec="width-400").exists()
        assert f"renditions: image {image.pk} could not be resized" in caplog.text
