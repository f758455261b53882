"""How a paged list call is walked (``services/remotes/paging.py``): items seen once, the
next offset in rows until the remote shows it counts pages, the pages left before ``total``.
(The client's walk against a remote of each kind: ``test_client_paging.py``.)"""

from __future__ import annotations

from jobferry.services.remotes.paging import (
    PAGE,
    PagingModes,
    Walk,
    fits,
    item_key,
    offsets_after_first,
    short,
    shrank,
)


def test_an_item_is_fresh_once() -> None:
    walk = Walk()
    assert walk.fresh([{"name": "a"}, {"name": "b"}]) == [{"name": "a"}, {"name": "b"}]
    assert walk.fresh([{"name": "b"}, {"name": "c"}]) == [{"name": "c"}]
    assert walk.seen == {"a", "b", "c"}


def test_a_resource_is_told_apart_by_its_id() -> None:
    assert item_key({"id": "r1", "name": "udf_jar"}) == "r1"
    assert item_key({"resourceId": "r2", "name": "udf_jar"}) == "r2"
    assert item_key({"name": "daily_sales"}) == "daily_sales"


def test_rows_are_the_offset_until_pages_are_known() -> None:
    walk = Walk()
    walk.fresh([{"name": f"j{n}"} for n in range(PAGE)])
    walk.total = 350
    walk.next_page()
    assert (walk.offset, walk.known) == (PAGE, False)  # one page says nothing of the mode
    walk.fresh([{"name": f"k{n}"} for n in range(PAGE)])
    walk.next_page()
    assert (walk.offset, walk.known) == (2 * PAGE, True)
    assert list(walk.left()) == [200, 300]


def test_in_page_numbers_the_pages_left_are_numbered() -> None:
    walk = Walk(pages=True, offset=1, total=350)
    assert list(walk.left()) == [1, 2, 3]
    walk.next_page()
    assert (walk.offset, walk.known) == (2, True)


def test_the_walk_is_done_once_every_counted_item_was_seen() -> None:
    walk = Walk(total=2)
    assert not walk.done
    walk.fresh([{"name": "a"}, {"name": "b"}])
    assert walk.done
    assert short(3, 2)
    assert not short(2, 2)
    assert not short(None, 0)
    assert list(Walk(total=None).left()) == []


def test_the_offsets_after_the_first_page_in_each_mode() -> None:
    assert list(offsets_after_first(350, pages=False)) == [100, 200, 300]
    assert list(offsets_after_first(350, pages=True)) == [1, 2, 3]
    assert list(offsets_after_first(100, pages=True)) == []
    assert list(offsets_after_first(0, pages=False)) == []


def _rows(start: int, stop: int) -> list[dict[str, str]]:
    return [{"name": f"j{n}"} for n in range(start, stop)]


def test_pages_asked_at_once_fit_only_the_total_they_count() -> None:
    assert fits([_rows(0, 100), _rows(100, 200), _rows(200, 250)], 250)
    assert fits([[]], 0)
    # page numbers read as rows: the second page repeats 99 rows of the first
    assert not fits([_rows(0, 100), _rows(1, 101), _rows(2, 52)], 250)
    # rows read as page numbers: past the end, empty
    assert not fits([_rows(0, 100), [], []], 250)
    # the list grew or shrank while it was read
    assert not fits([_rows(0, 100), _rows(100, 200), _rows(200, 251)], 250)
    assert not fits([_rows(0, 100), _rows(100, 199), _rows(199, 250)], 250)


def test_a_walk_learns_the_mode_once_two_pages_said_it() -> None:
    walk = Walk(total=350)
    walk.fresh(_rows(0, 100))
    walk.next_page()
    assert walk.learned is None
    walk.fresh(_rows(100, 200))
    walk.next_page()
    assert walk.learned is False
    modes = PagingModes()
    assert modes.get("https://dayu.example", "list_jobs") is None
    modes.learn("https://dayu.example", "list_jobs", True)
    assert modes.get("https://dayu.example", "list_jobs") is True
    assert modes.get("https://dayu.example", "list_scripts") is None


def test_a_list_shrank_when_a_page_counts_fewer_than_one_before_it() -> None:
    assert shrank([300, 299, 299])
    assert shrank([300, 301, 300])  # one inserted, then one deleted
    assert not shrank([300, 300, 301])  # rows pushed down: the walk goes on past them
    assert not shrank([None, 300])
    assert not shrank([])
