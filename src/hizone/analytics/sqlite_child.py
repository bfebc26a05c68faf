"""Child process of :mod:`hizone.analytics.extract`: one query on a SQLite file, streamed as Arrow IPC.

Imports only pyarrow and the ADBC driver, so it starts quickly. Usage: ``python -m
hizone.analytics.sqlite_child DATABASE SQL BATCH_ROWS``; the result goes to stdout, errors to stderr.
"""

from __future__ import annotations

import sys

import pyarrow as pa
from adbc_driver_sqlite import dbapi


def export(database: str, sql: str, batch_rows: int) -> None:
    with dbapi.connect(database) as conn, conn.cursor() as cursor:
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(batch_rows)})
        cursor.execute(sql)
        reader = cursor.fetch_record_batch()
        with pa.ipc.new_stream(sys.stdout.buffer, reader.schema) as writer:
            for batch in reader:
                writer.write_batch(batch)


if __name__ == "__main__":
    export(sys.argv[1], sys.argv[2], int(sys.argv[3]))
