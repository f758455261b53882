"""Folder paths read as a tree: one spelling per folder, sub-folders with their counts."""

from __future__ import annotations

from jobferry.domain.folders import SubFolder, crumbs, folder_of, open_folder, within


def test_a_folder_is_spelled_one_way_whatever_was_stored() -> None:
    assert folder_of("/etl/daily/") == "/etl/daily"
    assert folder_of("etl//daily") == "/etl/daily"
    assert folder_of("") == "/"
    assert folder_of("///") == "/"


def test_crumbs_lead_from_the_root_to_the_folder() -> None:
    assert crumbs("/") == [("/", "/")]
    assert crumbs("/etl/daily") == [("/", "/"), ("etl", "/etl"), ("daily", "/etl/daily")]


def test_within_tells_a_folder_from_a_name_that_only_starts_alike() -> None:
    assert within("/etl", "/etl/daily")
    assert within("/etl", "/etl")
    assert within("/", "/anything")
    assert not within("/etl", "/etl2")


def test_opening_a_folder_counts_its_sub_folders_and_finds_its_own_spellings() -> None:
    counts = [
        ("/", 2),
        ("/etl", 3),
        ("/etl/", 1),
        ("/etl/daily", 5),
        ("/etl/daily/x", 1),
        ("/etl/Weekly", 2),
        ("/etl2", 7),
        ("/reports", 4),
    ]

    root = open_folder("/", counts)
    etl = open_folder("etl/", counts)
    leaf = open_folder("/etl/daily/x", counts)

    assert root.folders == [
        SubFolder("etl", "/etl", 12),
        SubFolder("etl2", "/etl2", 7),
        SubFolder("reports", "/reports", 4),
    ]
    assert (root.own, root.own_count, root.count) == (["/"], 2, 25)
    assert etl.path == "/etl"
    assert etl.folders == [
        SubFolder("daily", "/etl/daily", 6),
        SubFolder("Weekly", "/etl/Weekly", 2),
    ]
    assert (etl.own, etl.own_count, etl.count) == (["/etl", "/etl/"], 4, 12)
    assert (leaf.folders, leaf.own, leaf.count) == ([], ["/etl/daily/x"], 1)
    assert open_folder("/nowhere", counts).count == 0
