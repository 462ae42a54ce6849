"""Where the mapping of image files to users comes from: a CSV file or a MongoDB collection."""

import csv
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection


class SourceError(Exception):
    """The mapping cannot be read; the message says why (shown to the operator, exit code 2)."""


@dataclass(frozen=True)
class Item:
    """One picture to migrate: a file (relative to the images folder) for a user."""

    filename: str
    user_id: str
    username: str | None = None


def read_csv(path: Path) -> list[Item]:
    """Rows `filename,user_id[,username]`; an optional header row naming `filename` is skipped."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from None
    items = []
    for number, row in enumerate(rows, start=1):
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if number == 1 and cells[0].lower() == "filename":
            continue
        if len(cells) < 2 or not cells[0] or not cells[1] or len(cells) > 3:
            raise SourceError(f"{path}:{number}: expected filename,user_id[,username], got {row!r}")
        items.append(Item(cells[0], cells[1], (cells[2] or None) if len(cells) == 3 else None))
    return items


async def read_collection(
    collection: AsyncCollection[dict[str, Any]], *, id_field: str, file_field: str, username_field: str | None
) -> list[Item]:
    """Documents whose `file_field` names a file; ids of any type are used as strings (ObjectId too)."""
    projection = {id_field: True, file_field: True, **({username_field: True} if username_field else {})}
    items = []
    async for doc in collection.find({file_field: {"$exists": True}}, projection):
        filename, user_id = doc.get(file_field), doc.get(id_field)
        if not isinstance(filename, str) or not filename.strip() or user_id is None:
            continue
        username = doc.get(username_field) if username_field else None
        items.append(Item(filename.strip(), str(user_id), str(username) if username else None))
    return items
