"""A warmed-up process answers its first question as it answers any other (issue 14: warm answers, max <= 100 ms).

Loading the index left work to the first question (the query's embedding session, the lemma table,
the spelling counts, the composer's modules) and the audit's redaction loaded libphonenumber inside the
first answer holding a number. ``Assistant.warm_up`` does all of it, once, logs nothing, and freezes what it
loaded out of the garbage collector's way. Checked in a fresh process, on the real model and index.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

from assistant.index.embed import load_embedder

from .conftest import DEV_SET, make_settings

WARM = """
import gc, json, sys, threading
import yaml
from assistant import audit
from assistant.answer import pipeline
from assistant.api import Assistant, WARM_UP_QUESTION
from assistant.config import Settings

asked = []
real_ask = pipeline.ask
pipeline.ask = lambda index, settings, question, **kw: asked.append(question) or real_ask(index, settings, question, **kw)
assistant = Assistant(Settings.load())
threads = [threading.Thread(target=assistant.warm_up) for _ in range(3)]  # the app's background one and questions
for t in threads:
    t.start()
for t in threads:
    t.join()
assistant.warm_up()
warm_ups = len(asked)
pipeline.ask = real_ask
before = len(audit.list_records(assistant.settings, kinds=["ask"], limit=None))
frozen = gc.get_freeze_count()
loaded = set(sys.modules)
questions = [item["question"] for item in yaml.safe_load(open(sys.argv[1], encoding="utf-8"))["items"]]
for question in questions:
    assistant.ask(question)
records = audit.list_records(assistant.settings, kinds=["ask"], limit=None)
print("WARM", json.dumps({
    "warm_ups": warm_ups, "frozen": frozen, "imported": sorted(set(sys.modules) - loaded), "asked": len(questions),
    "logged": len(records) - before, "subjects": [r.subject for r in records], "warm_up_question": WARM_UP_QUESTION,
}))
"""


def test_after_warm_up_no_question_of_the_dev_set_loads_anything_and_the_warm_up_is_not_logged(corpus_settings, tmp_path):
    # Four calls, three of them at once (the app's background warming up and questions asked meanwhile): one warm-up.
    settings = make_settings(tmp_path / "data")
    shutil.copytree(corpus_settings.paths.data_dir, settings.paths.data_dir)
    load_embedder(settings)  # the ONNX export, as `guidance ingest` leaves it
    env = {**os.environ, "GUIDANCE_PATHS__DATA_DIR": str(settings.paths.data_dir)}
    proc = subprocess.run([sys.executable, "-c", WARM, str(DEV_SET)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout.rsplit("WARM", 1)[1])
    assert out["warm_ups"] == 1
    assert out["imported"] == []  # libphonenumber included: the dev set's dates once pulled it in mid-answer
    assert out["frozen"] > 10_000  # the loaded model, index and libraries are out of the collector's sight
    assert out["logged"] == out["asked"] and out["warm_up_question"] not in out["subjects"]
