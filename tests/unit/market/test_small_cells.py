"""Small cells of the export to share outside the programme: hidden, and never given back by a difference."""

from market.reports.dashboards import suppress_small_cells


def row(name, sellers, last_sellers=10, income=100_00):
    return {"name": name, "income_paise": income, "sales": sellers, "active_sellers": sellers,
            "last_month_paise": income, "last_month_sellers": last_sellers}


def hidden(rows, cell="income_paise"):
    return [r["name"] for r in rows if r[cell] is None]


def test_figures_of_one_to_four_sellers_are_hidden_and_none_or_five_are_not():
    rows = suppress_small_cells([row("a", 0), row("b", 5), row("c", 3), row("d", 4), row("e", 12)])
    assert hidden(rows) == ["c", "d"]
    assert hidden(rows, "sales") == hidden(rows, "active_sellers") == ["c", "d"]
    assert hidden(rows, "last_month_paise") == []  # ten sellers last month in each


def test_one_hidden_row_takes_the_next_smallest_with_it_so_the_total_minus_the_rest_gives_nothing():
    rows = suppress_small_cells([row("a", 2), row("b", 30), row("c", 6), row("d", 0)])
    assert hidden(rows) == ["a", "c"]
    last = suppress_small_cells([row("a", 9, last_sellers=1), row("b", 9, last_sellers=7), row("c", 9, 8)])
    assert hidden(last, "last_month_paise") == ["a", "b"] and hidden(last) == []


def test_a_single_unit_is_hidden_on_its_own():
    assert hidden(suppress_small_cells([row("a", 1)])) == ["a"]
