"""Spreadsheet bulk registration (批量登记): read the catalog spreadsheet departments fill in.

The columns come from the field table (``vocab.fields``): a header is matched to a field through
``Field.columns`` (the template's label, the aliases seen in real exports, the English label and
the field name). Reading turns every row into a record the dataset service validates; a cell
that only says there is nothing (暂无, 无, None, null, [] …: ``values.is_placeholder``, the
harvester's rule too) is empty. Every problem names the row as the user sees it in Excel
(1-based, header included), the field and a bilingual message. Importing is all or none:
``DatasetService.register_many``, which stores the rows in batches (bulk inserts).

``template_xlsx`` / ``template_csv`` write the template the reader reads back.

The package, one job a module: ``model`` (limits, sheet names, results), ``reading`` (bytes ->
rows -> records), ``headers`` (finding and mapping the header row), ``cells`` (cell values and the
信息项 sheet), ``template`` (the template) and ``importer`` (parse, validate, register).
"""

from catalog.spreadsheet.cells import convert
from catalog.spreadsheet.headers import normalize_header
from catalog.spreadsheet.importer import import_file, parse
from catalog.spreadsheet.model import (
    CSV_TYPE,
    HEADER_SCAN_ROWS,
    ITEMS_SHEET,
    LISTS_SHEET,
    MAIN_SHEET,
    MAX_BYTES,
    MAX_ROWS,
    MAX_UNZIPPED_BYTES,
    MIN_HEADER_MATCHES,
    XLSX_TYPE,
    ImportedRow,
    ImportResult,
    ParsedSheet,
    Problem,
    Row,
)
from catalog.spreadsheet.template import (
    EXAMPLE,
    column_hint,
    header_label,
    render_cell,
    render_row,
    template_csv,
    template_rows,
    template_xlsx,
)

__all__ = [
    "CSV_TYPE", "EXAMPLE", "HEADER_SCAN_ROWS", "ITEMS_SHEET", "LISTS_SHEET", "MAIN_SHEET",
    "MAX_BYTES", "MAX_ROWS", "MAX_UNZIPPED_BYTES", "MIN_HEADER_MATCHES", "XLSX_TYPE",
    "ImportResult", "ImportedRow", "ParsedSheet", "Problem", "Row",
    "column_hint", "convert", "header_label", "import_file", "normalize_header", "parse",
    "render_cell", "render_row", "template_csv", "template_rows", "template_xlsx",
]
