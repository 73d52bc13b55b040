"""The matrix grid in a real browser: log in, open a matrix, see the grid, click a gap,
give it a salesperson in the dialog, see the grid redrawn; screenshots in
docs/screenshots/."""
import re

import pytest

from browser_helpers import login, open_action, screenshot, xmlid


@pytest.fixture
def demo(odoo_server):
    ids = {
        "matrix": xmlid(odoo_server, "sales_allocation.sales_allocation_matrix_demo"),
        "west": xmlid(odoo_server, "sales_allocation.sales_allocation_region_west_demo"),
        "servers": xmlid(odoo_server, "sales_allocation.product_category_servers_demo"),
        "gpu": xmlid(odoo_server, "sales_allocation.product_category_gpu_servers_demo"),
    }
    # The square under test is a gap in the demo data: no cell, nothing above it.
    existing = odoo_server.execute(
        "sales.allocation.matrix.cell", "search",
        [("matrix_id", "=", ids["matrix"]), ("region_id", "=", ids["west"]),
         ("product_category_id", "=", ids["servers"])])
    odoo_server.execute("sales.allocation.matrix.cell", "unlink", existing)
    yield ids
    created = odoo_server.execute(
        "sales.allocation.matrix.cell", "search",
        [("matrix_id", "=", ids["matrix"]), ("region_id", "=", ids["west"]),
         ("product_category_id", "=", ids["servers"])])
    odoo_server.execute("sales.allocation.matrix.cell", "unlink", created)


def _square(page, region_id, category_id):
    return page.locator(".o_matrix_cell[data-region-id='%d'][data-category-id='%d']"
                        % (region_id, category_id))


def test_matrix_grid(page, odoo_server, demo, screenshots):
    login(page, odoo_server)
    open_action(page, odoo_server, "sales_allocation.sales_allocation_matrix_action")
    page.click(".o_list_view td:has-text('区域 × 产品线')")

    # The grid: one row per region, one column per product line.
    grid = page.wait_for_selector(".o_sales_allocation_matrix_grid table.o_matrix_table")
    assert grid.is_visible()
    region_count = odoo_server.execute("sales.allocation.region", "search_count", [])
    assert page.locator(".o_matrix_table tbody tr").count() == region_count
    headers = page.locator(".o_matrix_table thead th.o_matrix_column").all_inner_texts()
    headers = [header.strip() for header in headers]
    assert sorted(headers) == sorted(["服务器", "GPU 服务器", "存储", "软件与云服务"])
    # Product lines in tree order: a sub-category right after its parent.
    assert headers.index("GPU 服务器") == headers.index("服务器") + 1
    # Gaps stand out, and there are exactly as many as the matrix counts.
    matrix = odoo_server.execute("sales.allocation.matrix", "read", [demo["matrix"]],
                                 ["gap_count"])[0]
    gaps = matrix["gap_count"]
    assert page.locator(".o_matrix_cell_gap").count() == gaps > 0
    assert str(gaps) in page.locator(".o_matrix_gap_count").inner_text()
    gap_color = page.locator(".o_matrix_cell_gap").first.evaluate(
        "el => getComputedStyle(el).backgroundColor")
    plain_color = page.locator(".o_matrix_cell_direct").first.evaluate(
        "el => getComputedStyle(el).backgroundColor")
    assert gap_color != plain_color, "gaps must look different from covered squares"

    square = _square(page, demo["west"], demo["servers"])
    assert "o_matrix_cell_gap" in square.get_attribute("class")
    assert "o_matrix_cell_gap" in _square(page, demo["west"], demo["gpu"]).get_attribute("class")

    # A click opens the cell in a dialog, with its region and product line filled in.
    square.click()
    dialog = page.wait_for_selector(".modal-dialog .o_form_view")
    title = page.locator(".modal-dialog .modal-title").inner_text()
    assert "西南" in title and "服务器" in title
    assert "西南" in page.locator(".modal-dialog .o_field_widget[name=region_id] input").input_value()
    page.fill(".modal-dialog .o_field_widget[name=user_id] input", "张伟")
    page.click(".ui-autocomplete .ui-menu-item a:has-text('张伟')")
    screenshot(page, screenshots / "matrix-cell-dialog.png")
    page.click(".modal-dialog .modal-footer .btn-primary")
    page.wait_for_selector(".modal-dialog", state="detached")
    assert dialog

    # The grid is redrawn: the square has its own cell, its sub-category inherits it.
    page.wait_for_selector(
        ".o_matrix_cell_direct[data-region-id='%d'][data-category-id='%d']"
        % (demo["west"], demo["servers"]))
    assert re.search("张伟", _square(page, demo["west"], demo["servers"]).inner_text())
    gpu = _square(page, demo["west"], demo["gpu"])
    assert "o_matrix_cell_inherited" in gpu.get_attribute("class")
    assert "张伟" in gpu.inner_text()
    assert page.locator(".o_matrix_cell_gap").count() == gaps - 2
    assert str(gaps - 2) in page.locator(".o_matrix_gap_count").inner_text()
    screenshot(page, screenshots / "matrix.png", full_page=True)

    cells = odoo_server.execute(
        "sales.allocation.matrix.cell", "search_read",
        [("matrix_id", "=", demo["matrix"]), ("region_id", "=", demo["west"]),
         ("product_category_id", "=", demo["servers"])], ["target_type", "user_id"])
    assert len(cells) == 1 and cells[0]["target_type"] == "user"
    assert cells[0]["user_id"][1] == "张伟"
    assert page.js_errors == []
