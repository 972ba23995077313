"""``crm-hygiene review``: your own export on the local stack, with the review console served."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import threading
import time
import webbrowser
from pathlib import Path

from crm_hygiene.types import OBJECT_TYPES, ObjectType


def register(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--input", required=True, type=Path, help="your CRM export (CSV)")
    parser.add_argument("--object", choices=OBJECT_TYPES, help="object type (default: from the headers)")
    parser.add_argument("--standard", type=Path, help="the clean-record standard (default: the shipped one)")
    parser.add_argument(
        "--dir",
        type=Path,
        default=Path(".review"),
        help="the session folder: resumed when run again (default .review)",
    )
    parser.add_argument("--port", type=int, default=8787, help="port of the console and API (default 8787)")
    parser.add_argument("--no-open", action="store_true", help="do not open a browser")


def run(options: argparse.Namespace) -> int:
    from crm_hygiene.local import demo
    from crm_hygiene.local import review as local_review
    from crm_hygiene.services.writeback.session import mark_running, mark_stopped

    signal.signal(signal.SIGTERM, _interrupt)  # `kill` stops it like Ctrl-C: saved first
    object_type = _object_type(options)
    _check_standard(options.standard)
    print(f"Starting the local stack and scanning {options.input.name} ({object_type}s) ...", flush=True)
    review = local_review.start_review(options.dir, options.input, object_type, options.standard)
    stop = threading.Event()
    mark_running(options.dir, os.getpid())
    try:
        _print_start(review)
        api = demo.serve(review.run, options.port)
        url = f"{api.url}/"
        print(f"\nReview console: {url}")
        print(f"Reviewer: set by the console, or the X-Reviewer header (API: {api.url}/reviews)")
        print(f"Decisions are saved in {options.dir} every few seconds and when you stop.")
        print(f"Then: crm-hygiene apply --from {options.dir} --out updated/")
        print("Ctrl-C stops (after saving).", flush=True)
        if not options.no_open:
            webbrowser.open(url)
        local_review.keep_saving(review, stop)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        stop.set()
        print("\nSaving the review ...", file=sys.stderr, flush=True)
        try:
            saved = local_review.settle_and_save(review)
            print(f"Saved in {options.dir} at {saved.saved_at:%H:%M:%S}.", file=sys.stderr)
        finally:
            review.stop()
            mark_stopped(options.dir)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _object_type(options: argparse.Namespace) -> ObjectType:
    if options.object:
        object_type: ObjectType = options.object
        return object_type
    from crm_hygiene.csvio import CsvReader
    from crm_hygiene.models.fields import detect_object_type

    with CsvReader(options.input) as reader:
        return detect_object_type(reader.columns, options.input.name)


def _check_standard(path: Path | None) -> None:
    from crm_hygiene.services.scan.export import choose_standard

    choice = choose_standard(path)
    if not choice.valid:
        print(f"! The standard {choice.source} is invalid: REPORT ONLY, nothing applied by itself.")
        for error in choice.errors[:10]:
            print(f"    {error}")


def _print_start(review: object) -> None:
    from crm_hygiene.local.demo import queue_counts
    from crm_hygiene.local.review import ReviewRun

    assert isinstance(review, ReviewRun)
    start = review.start
    if start.mode == "resume":
        print(f"Resuming the review in {review.folder} (session {start.session.runs}, same export).")
    elif start.note:
        print(start.note)
    counts = queue_counts(review.run.deps)
    print("Queue: " + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items())), flush=True)
