"""Import jobs (issue 9 §4): catalog spreadsheets of any size registered in the background,
with their progress (share done, rows/s, time left) and their row report.

``service`` (start, run, read jobs), ``run`` (one job's run: the file through
``catalog.spreadsheet.import_file`` under the job's budget), ``progress`` (what the API, the
web page and the CLI show), ``files`` (the kept uploads). The job table is claimed, beaten and
reaped by ``harvesters.jobs``, and run by the same worker as harvest jobs
(``harvesters.worker``).
"""

from catalog.imports.progress import Progress, of_job
from catalog.imports.service import ImportService

__all__ = ["ImportService", "Progress", "of_job"]
