"""Catalog spreadsheets: the one reader (bulk registration 批量登记 and harvest sources), the
template, the import.

The columns come from the field table (``vocab.fields``): a header is matched to a field through
``Field.columns`` (the template's label, the aliases seen in real exports, the English label and
the field name) and ``columns.PORTAL_COLUMNS``. ``read_sheet`` streams an .xlsx or .csv file
(UTF-8, UTF-8 with BOM or GB18030) of any length as ``SheetRow`` records under a policy:
``STRICT`` (the import: every problem names the row as the user sees it in Excel, 1-based,
header included, the field and a bilingual message) or ``LENIENT`` (a harvest source: each row a
record of its own, what cannot be read handed on as ``SheetRow.unread``). A cell that only says
there is nothing (暂无, 无, None, null, [] …: ``values.is_placeholder``) is empty. Importing
(``import_file``) is all or none — every row checked first, then stored in one transaction
(``DatasetService.register_batches``) — or keep and flag, a transaction a batch; the file streams
through either way. The size limit is ``Settings.max_sheet_bytes`` (``MULU_MAX_SHEET_BYTES``);
rows, cells and time are held to a ``budget.Budget`` (an import job's, or the smaller one of a
request). Large files are imported by jobs (``catalog.imports``).

``template_xlsx`` / ``template_csv`` write the template the reader reads back.

The package, one job a module: ``reading`` (the public reader), ``csvfile`` and ``xlsxfile``
(bytes -> numbered rows, streamed), ``headers`` (finding and mapping the header row), ``rows``
(rows -> records under a policy), ``cells`` and ``values`` (cell values), ``items`` (the 信息项
sheet), ``model`` (names, results), ``template`` (the template), ``budget`` (rows, cells, time)
and ``importer`` (parse, validate, register).
"""

from catalog.spreadsheet.budget import Budget, ImportStopped, Meter
from catalog.spreadsheet.cells import cell_text, convert
from catalog.spreadsheet.headers import normalize_header
from catalog.spreadsheet.importer import Collected, ImportSink, Step, import_file, parse
from catalog.spreadsheet.items import ItemRow
from catalog.spreadsheet.model import (
    CSV_TYPE,
    HEADER_SCAN_ROWS,
    ITEMS_SHEET,
    LISTS_SHEET,
    MAIN_SHEET,
    MAX_UNZIPPED_BYTES,
    MIN_HEADER_MATCHES,
    XLSX_TYPE,
    ImportedRow,
    ImportResult,
    ParsedSheet,
    Problem,
    Row,
)
from catalog.spreadsheet.reading import (
    LENIENT,
    STRICT,
    LostItem,
    Sheet,
    SheetSource,
    check_file,
    is_xlsx,
    read_sheet,
)
from catalog.spreadsheet.rows import Policy, SheetRow
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
    "Budget", "Collected", "ImportSink", "ImportStopped", "Meter", "Step", "check_file",
    "CSV_TYPE", "EXAMPLE", "HEADER_SCAN_ROWS", "ITEMS_SHEET", "LENIENT", "LISTS_SHEET",
    "MAIN_SHEET", "MAX_UNZIPPED_BYTES", "MIN_HEADER_MATCHES", "STRICT", "XLSX_TYPE",
    "ImportResult", "ImportedRow", "ItemRow", "LostItem", "ParsedSheet", "Policy", "Problem", "Row",
    "Sheet", "SheetRow", "SheetSource",
    "cell_text", "column_hint", "convert", "header_label", "import_file", "is_xlsx",
    "normalize_header", "parse", "read_sheet", "render_cell", "render_row", "template_csv",
    "template_rows", "template_xlsx",
]
