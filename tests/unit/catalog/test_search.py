"""Product search on both backends: words, typos, facets, sorts, the queue, the index lock, rebuilding.

Whoosh always runs; PostgreSQL only when the suite runs on it (HAAT_TEST_DATABASE=postgres).
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from whoosh import index as whoosh_index
from whoosh import reading as whoosh_reading
from whoosh import writing as whoosh_writing

import catalog.search
from catalog import demo
from catalog.cli import register
from catalog.models import Product, SearchQueue, Status
from catalog.search import get_backend, postgres_backend, query, reindex_all, sync, whoosh_backend
from catalog.search.query import SearchBusy, SearchConfigError, SearchQuery
from catalog.services import TierData, set_shop_paused, set_status
from market.core import db
from market.core.money import format_count
from tests.conftest import ON_POSTGRES
from tests.factories import category, gen_business, gen_group, gen_member, gen_organisation, gen_product

BACKENDS = ["whoosh", "postgres"] if ON_POSTGRES else ["whoosh"]


@pytest.fixture(autouse=True)
def fresh_backends(monkeypatch):
    """Each test gets its own backends (and so its own searcher), whatever earlier tests left behind."""
    monkeypatch.setattr(catalog.search, "_backends", {})


@pytest.fixture(params=BACKENDS)
def search_app(request, app, tmp_path):
    """An app searching with one backend; a Whoosh index of its own under tmp_path (read when searching, so the
    shared app takes these settings for this test)."""
    app.config.update(SEARCH_BACKEND=request.param, SEARCH_INDEX_DIR=str(tmp_path / "search"))
    return app


@pytest.fixture
def whoosh_app(app, tmp_path):
    app.config.update(SEARCH_BACKEND="whoosh", SEARCH_INDEX_DIR=str(tmp_path / "search"))
    return app


def find(app, text: str = "", **kwargs) -> query.SearchResult:
    """Search as a request of `app` would."""
    with app.app_context():
        return get_backend().search(SearchQuery(text=text, **kwargs))


def ids(app, text: str = "", **kwargs) -> list[int]:
    return find(app, text, **kwargs).ids


def apply_queue(app, session) -> int:
    """Commit the test's changes and let the search worker apply them (and refresh PostgreSQL's words)."""
    session.commit()
    with app.app_context():
        applied = sync(db.session)
        if applied and app.config["SEARCH_BACKEND"] == "postgres":
            get_backend()._refresh_words(db.session)  # the worker does it every ten minutes
        return applied


def queued(session) -> int:
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(SearchQueue))


def shop_in(session, state: str):
    return gen_business(session, [gen_member(session, gen_group(session, gen_organisation(session, state_code=state)))])


# -- words --------------------------------------------------------------------------------------------

def test_english_stems_match(search_app, session):
    kurtis = gen_product(session, title="Cotton kurtis")
    pickle = gen_product(session, title="Mango pickle", category_slug="pickles")
    apply_queue(search_app, session)
    assert ids(search_app, "kurti") == [kurtis.id]
    assert ids(search_app, "pickles") == [pickle.id]
    assert ids(search_app, "COTTON Kurti") == [kurtis.id]
    assert ids(search_app, "cotton pickle") == []  # every word must match


def test_a_title_match_ranks_above_a_description_match(search_app, session):
    in_title = gen_product(session, title="Mango pickle", category_slug="pickles", description="Sun dried.")
    in_description = gen_product(session, title="Cotton kurti", description="Goes well with mango pickle.")
    apply_queue(search_app, session)
    # The description match is newer, so newest-first would put it first: the title must win.
    assert ids(search_app, "pickle") == [in_title.id, in_description.id]


def test_hindi_words_stay_whole(search_app, session):
    product = gen_product(session, title="सूती कुर्ती", description="हाथ से बनी")
    apply_queue(search_app, session)
    assert ids(search_app, "कुर्ती") == [product.id]


@pytest.fixture
def demo_catalogue(search_app, session) -> dict[str, int]:
    """The demo's products (catalog.demo), one shop per trade: title -> id."""
    found = {}
    for trade, products in demo.PRODUCTS.items():
        shop = gen_business(session, trade=trade)
        for title, slug, rupees, description, _sizes in products:
            found[title] = gen_product(session, shop, title=title, category_slug=slug, price_paise=rupees * 100,
                                       description=description).id
    apply_queue(search_app, session)
    return found


@pytest.mark.parametrize(("typed", "title"), [
    # Hindi
    ("अचार", "Raw mango pickle in mustard oil (500 g)"),
    ("आम का अचार", "Raw mango pickle in mustard oil (500 g)"),
    ("झुमका", "Oxidised silver-look jhumka"),
    ("साड़ी", "Ready-to-wear nauvari saree"),
    ("चूड़ियाँ", "Glass bangles, set of 12"),
    ("पापड़", "Sun-dried udid papad (200 g)"),
    ("कुर्ती", "Hand block-print cotton kurti"),
    ("लड्डू", "Coconut ladoo (12 pieces)"),
    ("हार", "Terracotta bead necklace"),
    ("पायल", "Silver-look anklets with bells"),
    ("टोकरी", "Palm-leaf basket with lid"),
    # Tamil
    ("முறுக்கு", "Thenkuzhal murukku (400 g)"),
    ("ஊறுகாய்", "Raw mango pickle in mustard oil (500 g)"),
    ("புடவை", "Ready-to-wear nauvari saree"),
    ("வளையல்", "Glass bangles, set of 12"),
    ("அப்பளம்", "Sun-dried udid papad (200 g)"),
    # Telugu, Kannada, Marathi, Bengali
    ("గాజులు", "Glass bangles, set of 12"),
    ("ಸೀರೆ", "Ready-to-wear nauvari saree"),
    ("लोणचे", "Raw mango pickle in mustard oil (500 g)"),
    ("শাড়ি", "Ready-to-wear nauvari saree"),
    # in Latin letters
    ("achar", "Raw mango pickle in mustard oil (500 g)"),
    ("chudi", "Glass bangles, set of 12"),
    ("sari", "Ready-to-wear nauvari saree"),
    ("appalam", "Sun-dried udid papad (200 g)"),
    ("laddu", "Coconut ladoo (12 pieces)"),
    ("earrings", "Oxidised silver-look jhumka"),
    ("payal", "Silver-look anklets with bells"),
    ("razai", "Quilted godhadi throw"),
    ("chakli", "Thenkuzhal murukku (400 g)"),
])
def test_the_demo_is_found_in_the_buyers_words(search_app, demo_catalogue, typed, title):
    result = find(search_app, typed)
    assert demo_catalogue[title] in result.ids
    assert result.suggestion is None  # found by the table, not by a guess


def test_a_broader_word_finds_the_narrower_but_not_the_other_way(search_app, demo_catalogue):
    assert demo_catalogue["Oxidised silver-look jhumka"] in ids(search_app, "earrings")
    assert ids(search_app, "jhumka") == [demo_catalogue["Oxidised silver-look jhumka"]]


def test_letters_with_a_nukta_are_found_in_either_spelling(search_app, session):
    single = "\u0938\u093e\u095c\u0940"  # साड़ी with ड़ as one code point, as some keyboards type it
    pair = "\u0938\u093e\u0921\u093c\u0940"  # the same word as NFC writes it
    typed_single = gen_product(session, title=f"{single} {single}")  # not in the table: the spelling alone
    typed_pair = gen_product(session, title=f"Lal {pair}")
    apply_queue(search_app, session)
    assert set(ids(search_app, single)) == set(ids(search_app, pair)) == {typed_single.id, typed_pair.id}


def test_neckless_finds_and_suggests_necklace(search_app, demo_catalogue):
    result = find(search_app, "neckless")
    assert result.suggestion == "necklace"
    assert {demo_catalogue["Terracotta bead necklace"], demo_catalogue["Kemp-stone temple necklace set"]} <= set(
        result.ids)


@pytest.mark.parametrize(("typed", "title", "meant"), [
    ("pickel", "Mango pickle", "pickle"),
    ("jumka", "Oxidised jhumka", "jhumka"),
    ("jhumkaa", "Oxidised jhumka", "jhumka"),
    ("kurtta", "Cotton kurta", "kurta"),
])
def test_a_typo_still_finds_and_suggests(search_app, session, typed, title, meant):
    product = gen_product(session, title=title)
    gen_product(session, title="Silk saree")
    apply_queue(search_app, session)
    result = find(search_app, typed)
    assert result.ids == [product.id]
    assert result.suggestion == meant


def test_only_the_misspelt_word_is_corrected(search_app, session):
    product = gen_product(session, title="Oxidised jhumka")
    apply_queue(search_app, session)
    result = find(search_app, "oxidised jumka")
    assert (result.ids, result.suggestion) == ([product.id], "oxidised jhumka")


def test_no_suggestion_when_the_words_find_enough(search_app, session):
    for _ in range(3):
        gen_product(session, title="Mango pickle", category_slug="pickles")
    apply_queue(search_app, session)
    result = find(search_app, "pickle")
    assert (result.total, result.suggestion) == (3, None)


def test_nothing_like_it_finds_nothing_and_suggests_nothing(search_app, session):
    gen_product(session, title="Mango pickle", category_slug="pickles")
    apply_queue(search_app, session)
    assert find(search_app, "bluetooth speaker") == query.SearchResult(ids=[], total=0, suggestion=None)


def test_short_words_are_not_corrected(search_app, session):
    gen_product(session, title="Silk top")
    apply_queue(search_app, session)
    assert find(search_app, "tip").suggestion is None  # "tip" is not a typo of "top"


# -- facets and sorts --------------------------------------------------------------------------------

@pytest.fixture
def catalogue(search_app, session):
    """Four kurtis and a pickle, different in every facet, oldest first."""
    mh, tn = shop_in(session, "MH"), shop_in(session, "TN")
    products = {
        "cheap": gen_product(session, mh, title="Cotton kurti", price_paise=30_000),
        "wholesale": gen_product(session, mh, title="Rayon kurti", price_paise=50_000,
                                 tiers=[TierData(min_qty=10, unit_price_paise=40_000)]),
        "sold out": gen_product(session, tn, title="Silk kurti", price_paise=90_000, stock=0),
        "dear": gen_product(session, tn, title="Khadi kurti", price_paise=120_000),
        "pickle": gen_product(session, tn, title="Kurti shaped pickle jar", category_slug="pickles",
                              price_paise=50_000),
    }
    apply_queue(search_app, session)
    return {name: p.id for name, p in products.items()}


def test_every_facet(search_app, session, catalogue):
    c = catalogue

    def found(**facets) -> set[int]:
        return set(ids(search_app, "kurti", **facets))

    assert found() == set(c.values())
    assert found(category_ids=(category(session, "kurtis-tops").id,)) == set(c.values()) - {c["pickle"]}
    assert found(category_ids=(category(session, "pickles").id, category(session, "sarees").id)) == {c["pickle"]}
    assert found(state="MH") == {c["cheap"], c["wholesale"]}
    assert found(state="KA") == set()
    assert found(price_min=50_000) == {c["wholesale"], c["pickle"], c["sold out"], c["dear"]}  # inclusive
    assert found(price_max=50_000) == {c["cheap"]}  # exclusive
    assert found(price_min=50_000, price_max=90_000) == {c["wholesale"], c["pickle"]}
    assert found(wholesale=True) == {c["wholesale"]}
    assert found(in_stock=True) == set(c.values()) - {c["sold out"]}
    assert found(state="TN", in_stock=True, price_max=100_000) == {c["pickle"]}
    assert find(search_app, "kurti", state="TN").total == 3


def test_every_sort(search_app, session, catalogue):
    c = catalogue
    assert ids(search_app, "kurti", sort="newest") == [c["pickle"], c["dear"], c["sold out"], c["wholesale"],
                                                       c["cheap"]]
    kurtis = (category(session, "kurtis-tops").id,)
    assert ids(search_app, "kurti", sort="price_asc", category_ids=kurtis) == [
        c["cheap"], c["wholesale"], c["sold out"], c["dear"]]
    assert ids(search_app, "kurti", sort="price_desc", state="MH") == [c["wholesale"], c["cheap"]]
    # without words, relevance means newest
    assert ids(search_app, "", state="TN") == [c["pickle"], c["dear"], c["sold out"]]
    assert ids(search_app, "", sort="price_asc", state="TN") == [c["pickle"], c["sold out"], c["dear"]]
    assert ids(search_app, "the and of", state="MH") == [c["wholesale"], c["cheap"]]  # stop words only: browse


def test_pages(search_app, catalogue):
    c = catalogue
    newest = [c["pickle"], c["dear"], c["sold out"], c["wholesale"], c["cheap"]]
    for sort_text in ("kurti", ""):
        pages = [find(search_app, sort_text, sort="newest", per_page=2, page=n) for n in (1, 2, 3, 4)]
        assert [p.ids for p in pages] == [newest[:2], newest[2:4], newest[4:], []]
        assert {p.total for p in pages} == {5}


def test_totals_stop_at_the_cap(search_app, catalogue, monkeypatch):
    for module in (query, whoosh_backend, postgres_backend):  # each reads the cap it imported
        monkeypatch.setattr(module, "MAX_TOTAL", 3)
    assert find(search_app, "kurti").total == 3
    assert find(search_app, "").total == 3


def test_bad_queries_are_refused():
    with pytest.raises(ValueError, match="sort"):
        SearchQuery(sort="cheapest")
    with pytest.raises(ValueError):
        SearchQuery(page=0)
    with pytest.raises(ValueError):
        SearchQuery(per_page=1000)


# -- what buyers may see -----------------------------------------------------------------------------

def test_drafts_archived_and_paused_shops_are_not_found(search_app, session):
    shop = gen_business(session)
    draft = gen_product(session, shop, title="Cotton kurti", publish=False)
    archived = gen_product(session, shop, title="Cotton kurti")
    other_shop = gen_business(session)
    paused = gen_product(session, other_shop, title="Cotton kurti")
    apply_queue(search_app, session)
    assert set(ids(search_app, "kurti")) == {archived.id, paused.id}

    set_status(session, archived, Status.ARCHIVED)
    set_shop_paused(session, other_shop, True)
    apply_queue(search_app, session)
    assert ids(search_app, "kurti") == []
    assert ids(search_app, "") == []

    set_shop_paused(session, other_shop, False)
    apply_queue(search_app, session)
    assert ids(search_app, "kurti") == [paused.id]
    assert draft.id not in ids(search_app, "")


def test_a_deleted_product_leaves_the_index(search_app, session):
    product = gen_product(session, title="Cotton kurti")
    apply_queue(search_app, session)
    session.add(SearchQueue(product_id=product.id))  # no foreign key: the queue outlives the product
    session.delete(product)
    apply_queue(search_app, session)
    assert ids(search_app, "kurti") == []


# -- the queue, the lock, rebuilding -----------------------------------------------------------------

def test_sync_applies_the_queue_and_empties_it(search_app, session):
    product = gen_product(session, title="Cotton kurti")
    session.commit()
    assert queued(session) == 1
    if search_app.config["SEARCH_BACKEND"] == "whoosh":
        assert ids(search_app, "kurti") == []  # not until the worker has applied it
    assert apply_queue(search_app, session) == 1
    assert queued(session) == 0
    assert ids(search_app, "kurti") == [product.id]
    assert apply_queue(search_app, session) == 0


@pytest.mark.real_commits  # on PostgreSQL the other worker's connection must see the queued row
def test_sync_gives_up_at_once_when_another_process_holds_the_lock(search_app, session, tmp_path, monkeypatch):
    product = gen_product(session, title="Cotton kurti")
    session.commit()
    if search_app.config["SEARCH_BACKEND"] == "whoosh":
        holder = whoosh_backend.open_index(tmp_path / "search").writer()  # as another worker would
        release = holder.cancel
    else:  # another worker busy with these very rows
        engine = sa.create_engine(search_app.config["DATABASE_URL"])
        connection = engine.connect()
        connection.execute(sa.text("SELECT id FROM search_queue FOR UPDATE"))

        def release():
            connection.close()
            engine.dispose()
    attempts, waits = [], []  # "at once": the lock is tried once, and no statement waits for a row lock
    real_try_for = whoosh_writing.try_for

    def try_once(acquire, timeout=5.0, delay=0.1):
        return real_try_for(lambda: attempts.append(1) or acquire(), timeout, delay)

    def no_waiting(_conn, _cursor, statement, *_args):
        if "FOR UPDATE" in statement and "SKIP LOCKED" not in statement and "NOWAIT" not in statement:
            waits.append(statement)
            raise AssertionError(f"this would wait for the other worker: {statement}")  # rather than hang

    monkeypatch.setattr(whoosh_writing, "try_for", try_once)
    with search_app.app_context():
        app_engine = db.engine()
    sa.event.listen(app_engine, "before_cursor_execute", no_waiting)
    try:
        assert apply_queue(search_app, session) == 0
        assert queued(session) == 1
    finally:
        sa.event.remove(app_engine, "before_cursor_execute", no_waiting)
        release()
    assert waits == [] and len(attempts) == (1 if search_app.config["SEARCH_BACKEND"] == "whoosh" else 0)
    assert apply_queue(search_app, session) == 1
    assert queued(session) == 0
    assert ids(search_app, "kurti") == [product.id]


def test_reindex_all_rebuilds_from_the_listed_products(search_app, session):
    listed = [gen_product(session, title=f"Cotton kurti {n}") for n in range(3)]
    gen_product(session, title="Cotton kurti draft", publish=False)
    session.commit()
    calls = []
    with search_app.app_context():
        assert reindex_all(db.session, lambda done, total: calls.append((done, total))) == 3
    assert calls and calls[-1] == (3, 3) and all(done <= total for done, total in calls)
    assert queued(session) == 0
    assert sorted(ids(search_app, "kurti")) == sorted(p.id for p in listed)


def test_reindex_all_replaces_what_the_index_had(whoosh_app, session):
    gone = gen_product(session, title="Silk saree")
    apply_queue(whoosh_app, session)
    session.execute(sa.update(Product).where(Product.id == gone.id).values(listed=False))  # behind the queue
    session.commit()
    with whoosh_app.app_context():
        reindex_all(db.session)
    assert ids(whoosh_app, "saree") == []


def test_reindex_all_refuses_while_another_process_writes(whoosh_app, session, tmp_path):
    holder = whoosh_backend.open_index(tmp_path / "search").writer()
    try:
        with whoosh_app.app_context(), pytest.raises(SearchBusy):
            reindex_all(db.session)
    finally:
        holder.cancel()


def test_the_searcher_is_reused_and_sees_changes_after_sync(whoosh_app, session):
    product = gen_product(session, title="Cotton kurti")
    apply_queue(whoosh_app, session)
    with whoosh_app.app_context():
        backend = get_backend()
        first = backend.searcher()
        assert backend.searcher() is first  # nothing changed: the same searcher, not a new one
    assert ids(whoosh_app, "kurti") == [product.id]

    newer = gen_product(session, title="Silk kurti")
    product.title = "Cotton saree"  # an update deletes the old document: it must not be found again
    session.add(SearchQueue(product_id=product.id))
    apply_queue(whoosh_app, session)
    with whoosh_app.app_context():
        assert get_backend() is backend
        assert backend.searcher() is not first
    assert find(whoosh_app, "kurti") == query.SearchResult(ids=[newer.id], total=1)
    assert ids(whoosh_app, "saree") == [product.id]


def test_the_index_is_made_if_missing(whoosh_app, tmp_path):
    assert not (tmp_path / "search").exists()
    assert find(whoosh_app, "kurti").ids == []
    assert find(whoosh_app, "kurti", state="MH", sort="price_asc").ids == []
    assert whoosh_index.exists_in(str(tmp_path / "search"))


# -- configuration -----------------------------------------------------------------------------------

def test_the_backend_is_made_once_per_process_and_settings(make_app, tmp_path):
    one = make_app(SEARCH_INDEX_DIR=str(tmp_path / "one"))
    two = make_app(SEARCH_INDEX_DIR=str(tmp_path / "two"))
    with one.app_context():
        backend = get_backend()
        assert isinstance(backend, whoosh_backend.WhooshBackend) and get_backend() is backend
    with two.app_context():
        assert get_backend() is not backend


def test_whoosh_is_the_default_under_the_instance_folder(make_app):
    app = make_app(SEARCH_BACKEND=None, SEARCH_INDEX_DIR=None)
    with app.app_context():
        backend = get_backend()
    assert isinstance(backend, whoosh_backend.WhooshBackend)
    assert str(backend.index_dir).startswith(app.instance_path)


def test_postgres_is_refused_on_sqlite(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path / 'other.db'}", SEARCH_BACKEND="postgres")
    with app.app_context(), pytest.raises(SearchConfigError, match="PostgreSQL"):
        get_backend()
    app = make_app(SEARCH_BACKEND="elastic")
    with app.app_context(), pytest.raises(SearchConfigError, match="whoosh"):
        get_backend()


def test_the_commands(search_app, session):
    product = gen_product(session, title="Cotton kurti")
    session.commit()
    if "reindex" not in search_app.cli.commands:
        register(search_app)
    runner = search_app.test_cli_runner()
    result = runner.invoke(args=["search-worker", "--once"])
    assert result.exit_code == 0 and "1 change applied" in result.output
    result = runner.invoke(args=["reindex"])
    assert result.exit_code == 0 and "1 product indexed" in result.output
    assert ids(search_app, "kurti") == [product.id]


if ON_POSTGRES:
    def test_postgres_has_the_search_indexes(make_app):
        app = make_app(SEARCH_BACKEND="postgres")
        with app.app_context():
            definitions = dict(db.session.execute(sa.text(
                "SELECT indexname, indexdef FROM pg_indexes WHERE indexname LIKE 'ix_search%' "
                "OR indexname = 'ix_products_search_vector'")).all())
        assert definitions["ix_products_search_vector"].endswith("USING gin (search_vector) WHERE listed")
        assert "gin_trgm_ops" in definitions["ix_search_words_trigrams"]


# -- bounded work ------------------------------------------------------------------------------------

@pytest.fixture
def many_kurtis(search_app, session) -> list[int]:
    return make_many_kurtis(search_app, session)


def make_many_kurtis(app, session) -> list[int]:
    """20 pickles (dearer), then 60 kurtis, half with "kurti" only in the description: the kurtis' ids."""
    for _ in range(20):
        gen_product(session, title="Mango pickle", category_slug="pickles", price_paise=90_000)
    made = []
    for n in range(60):
        title, description = ("Cotton kurti", "Soft.") if n % 2 else ("Cotton top", "A short kurti.")
        made.append(gen_product(session, title=title, description=description).id)
    apply_queue(app, session)
    return made


def test_whoosh_counts_every_match_but_looks_only_at_what_the_page_needs(whoosh_app, session, monkeypatch):
    many_kurtis = make_many_kurtis(whoosh_app, session)
    monkeypatch.setattr(whoosh_backend, "ENUMERATE_AT", 5)  # so that the page is found by walking the order
    result = find(whoosh_app, "kurti", per_page=4)
    in_title = [i for n, i in enumerate(many_kurtis) if n % 2]
    assert (result.total, result.more) == (60, False)  # exact, from bitsets: no work per match
    assert result.ids == in_title[::-1][:4]  # every word in the title first, newest first
    with whoosh_app.app_context():
        backend = get_backend()
        assert backend.work <= 8  # documents looked at: the page's 4, and the description matches passed by
        assert find(whoosh_app, "kurti", sort="price_asc", per_page=4).ids == many_kurtis[:4]
        assert backend.work == 4
        assert find(whoosh_app, "kurti", category_ids=(category(session, "pickles").id,)).total == 0
        assert backend.work == 0


def test_whoosh_lists_few_matches_instead_of_walking(whoosh_app, session):
    make_many_kurtis(whoosh_app, session)
    result = find(whoosh_app, "pickle", sort="newest", per_page=4)
    assert result.total == 20 and len(result.ids) == 4
    with whoosh_app.app_context():
        assert get_backend().work == 20  # the 20 matches, not the 80 documents


def test_the_count_stops_one_past_the_cap_and_says_there_are_more(search_app, session, many_kurtis, monkeypatch):
    for module in (query, whoosh_backend, postgres_backend):
        monkeypatch.setattr(module, "MAX_TOTAL", 10)
    result = find(search_app, "kurti")
    assert (result.total, result.more, len(result.ids)) == (10, True, 24)
    assert find(search_app, "").more is True
    assert find(search_app, "kurti", category_ids=(category(session, "pickles").id,)).more is False
    monkeypatch.setattr(query, "MAX_TOTAL", 20)
    monkeypatch.setattr(whoosh_backend, "MAX_TOTAL", 20)
    monkeypatch.setattr(postgres_backend, "MAX_TOTAL", 20)
    assert (find(search_app, "pickle").total, find(search_app, "pickle").more) == (20, False)  # exactly the cap


if ON_POSTGRES:
    def test_postgres_reads_at_most_the_cap_of_matches_and_ranks_without_ts_rank(make_app, session, monkeypatch):
        """No ts_rank (it reads every match's vector), no count over every match: the matches taken are capped,
        and past the cap the page is a walk that stops at its end."""
        for module in (query, postgres_backend):
            monkeypatch.setattr(module, "MAX_TOTAL", 2)
        app = make_app(SEARCH_BACKEND="postgres")
        made = [gen_product(session, title="Cotton kurti").id for _ in range(3)]
        apply_queue(app, session)
        statements = []
        with app.app_context():
            engine = db.engine()

            def seen(_conn, _cursor, statement, parameters, *_args):
                statements.append((statement, parameters))

            sa.event.listen(engine, "before_cursor_execute", seen)
            try:
                result = get_backend().search(SearchQuery(text="kurti", per_page=2))
            finally:
                sa.event.remove(engine, "before_cursor_execute", seen)
        assert (result.ids, result.total, result.more) == (made[::-1][:2], 2, True)
        assert not any("ts_rank" in statement for statement, _ in statements)
        taken, walked = (s for s, _ in statements if "WITH matches" in s), [s for s, _ in statements if "UNION" in s]
        capped = next(taken)
        assert "LIMIT" in capped.split("ORDER BY")[0]  # inside the CTE: at most MAX_TOTAL + 1 matches read
        assert len(walked) == 1 and walked[0].count("LIMIT") == 3  # both halves of the ranking, and the page


def test_the_page_says_1000_plus_past_the_cap(search_app, client, many_kurtis, monkeypatch):
    search_app.config["PAGE_CACHE"] = False  # the same guest page twice: made again, not kept
    page = client.get("/search?q=kurti").get_data(as_text=True)
    assert "60 products" in page and "+ products" not in page
    for module in (query, whoosh_backend, postgres_backend):
        monkeypatch.setattr(module, "MAX_TOTAL", 50)
    page = client.get("/search?q=kurti").get_data(as_text=True)
    assert "50+ products" in page
    monkeypatch.undo()
    assert format_count(query.MAX_TOTAL) == "1,000"  # so the real cap reads "1,000+ products"


def test_whoosh_remembers_a_typos_correction(whoosh_app, session, monkeypatch):
    product = gen_product(session, title="Oxidised jhumka")
    apply_queue(whoosh_app, session)
    calls = []
    real = whoosh_reading.SegmentReader.terms_within
    monkeypatch.setattr(whoosh_reading.SegmentReader, "terms_within",
                        lambda self, *args, **kwargs: calls.append(args) or real(self, *args, **kwargs))
    for _ in range(3):
        assert find(whoosh_app, "jumka") == query.SearchResult(ids=[product.id], total=1, suggestion="jhumka")
    assert len(calls) == 1  # Whoosh's automaton built once, not for every search of the same slip


if ON_POSTGRES:
    def test_postgres_makes_a_words_queries_once_and_drops_synonyms_no_title_has(make_app, session):
        app = make_app(SEARCH_BACKEND="postgres")
        gen_product(session, title="Mango achar", category_slug="pickles")
        apply_queue(app, session)
        statements = []
        with app.app_context():
            engine = db.engine()

            def seen(_conn, _cursor, statement, parameters, *_args):
                statements.append((statement, parameters))

            sa.event.listen(engine, "before_cursor_execute", seen)
            try:
                for _ in range(3):
                    assert len(get_backend().search(SearchQuery(text="pickle")).ids) == 1
            finally:
                sa.event.remove(engine, "before_cursor_execute", seen)
        made = [parameters for statement, parameters in statements if "plainto_tsquery" in statement]
        assert len(made) == 1  # then kept
        assert set(made[0].values()) == {"pickle", "achar", "'pickle':A", "'achar':A"}  # not அ..., not pickles
