"""Member export (the public entry): any filtered roster to `.csv` or `.xlsx`, in exactly the import template.

The file is the roster import template (`template.py`: its headers, its Chinese labels, dates
as `template.DATE_FORMAT`), so an exported file imports again unchanged. Rules:

- **Formula injection.** Every free-text cell (name, ID number, organization code, phone,
  place) goes through `template.protect`; the labels and dates are the template's own and
  never start like a formula (checked when this module is imported). A text starting with
  `=`, `+`, `-`, `@`, a tab or a carriage return (or an apostrophe) is written behind one
  apostrophe, so no spreadsheet runs it; the importer drops that apostrophe again. In `.xlsx`
  every cell is also written as text (never a formula, number or link), and the columns are
  formatted as text so that an ID number stays 18 characters when edited.
- **Numbers.** ID and phone numbers are written in full only for a user whose
  `members.view_sensitive` reaches everything the export covers (`may_show_full`); otherwise
  their masked forms are. Each export writes an audit row (how many rows, the filters, the
  format, whether numbers were in full) and never a number.
- **Streaming.** Members are read in keyset batches on (org_path, id) of
  settings.MEMBER_EXPORT_BATCH (5,000) rows, decrypted a batch at a time; memory holds one
  batch whatever the size of the roster. A CSV is produced in chunks; an `.xlsx` is written
  by xlsxwriter in constant-memory mode (a row at a time, to a temporary file).
- **Size.** On the web, up to settings.MEMBER_EXPORT_STREAM_MAX (10,000) rows are sent at
  once in the response; more become a background job (`members.export`) whose file is
  downloaded from the job page.
- **The sheet limit.** An `.xlsx` sheet holds 1,048,576 rows. A larger export goes on in a
  second sheet (`花名册2`, then `花名册3`...), each starting with the same header row, after
  settings.MEMBER_EXPORT_SHEET_ROWS members (1,048,575); the importer reads every sheet of a
  workbook. (CSV has no limit: the province in one file, and the format to import it again:
  reading a sheet of a million rows back takes the importer about 1.6 GiB, see
  docs/benchmarks.md.) A province's 1.3 million members take the export job under 200 MiB.
"""

from .job import JOB_KIND, job_params, record_export, run_export_job
from .policy import FORMATS, download_name, format_label, format_of, may_show_full, stream_max
from .rows import batch_size, iter_rows
from .writers import csv_chunks, write_file, write_xlsx

__all__ = [
    "FORMATS",
    "JOB_KIND",
    "batch_size",
    "csv_chunks",
    "download_name",
    "format_label",
    "format_of",
    "iter_rows",
    "job_params",
    "may_show_full",
    "record_export",
    "run_export_job",
    "stream_max",
    "write_file",
    "write_xlsx",
]
