"""The line a command prints before it sends a refused request again counts its retries out
of those it can get: as many as the wait the server asks leaves within the 60 s budget, not
always "of 5" (the object storage's refusal asks a minute: one retry, and it is the last)."""

from __future__ import annotations

from jobferry.cli.retrying import Retries

STORE = "DLF.9505"


def _lines(*waits: str) -> list[str]:
    retries = Retries()
    said = []
    for asked in waits:
        wait = retries.pause(503, STORE, asked)
        if wait is None:
            break
        said.append(retries.line(503, STORE, wait).split(":")[0])
    return said


def test_a_wait_of_a_minute_is_the_one_retry_the_budget_allows() -> None:
    assert _lines("60", "60") == ["Waiting 60 s, then sending the request again (retry 1 of 1)"]


def test_short_waits_count_out_of_five() -> None:
    assert _lines("1", "1") == [
        "Waiting 1 s, then sending the request again (retry 1 of 5)",
        "Waiting 1 s, then sending the request again (retry 2 of 5)",
    ]


def test_waits_the_budget_cuts_short_count_out_of_what_is_left() -> None:
    assert _lines("20", "20", "20", "20") == [
        "Waiting 20 s, then sending the request again (retry 1 of 3)",
        "Waiting 20 s, then sending the request again (retry 2 of 3)",
        "Waiting 20 s, then sending the request again (retry 3 of 3)",
    ]
