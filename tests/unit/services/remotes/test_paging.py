"""How a paged list call is walked (``services/remotes/paging.py``): items seen once, the
next offset in rows until the remote shows it counts pages, the pages left before ``total``.
(The client's walk against a remote of each kind: ``test_client_paging.py``.)"""

from __future__ import annotations

from jobferry.services.remotes.paging import PAGE, Walk, item_key, short


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
