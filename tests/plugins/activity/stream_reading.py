"""Reading Server-Sent Events in tests: parse frames from a stream of text chunks."""
from __future__ import annotations

import json


def parse_frames(text: str) -> list[dict]:
    """``[{event, id, data, comment}]`` for each complete frame (blank-line terminated) in ``text``."""
    frames = []
    for block in text.split("\n\n"):
        if not block.strip():
            continue
        frame: dict = {}
        for line in block.split("\n"):
            if line.startswith(":"):
                frame["comment"] = line[1:].strip()
            elif ":" in line:
                key, _, value = line.partition(":")
                frame[key] = value.lstrip()
        if "data" in frame:
            try:
                frame["data"] = json.loads(frame["data"])
            except ValueError:
                pass
        frames.append(frame)
    return frames


def activity_frames(frames: list[dict]) -> list[dict]:
    return [f for f in frames if f.get("event") == "activity"]
