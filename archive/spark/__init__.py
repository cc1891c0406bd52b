"""The index derived by Apache Spark over a WARC collection, written as Parquet.

* :mod:`archive.spark.tasks` — what each Spark task runs, in plain Python over the same
  code as the single-machine path (no pyspark import: testable on its own);
* :mod:`archive.spark.job` — the job ``spark-submit`` runs (imports pyspark);
* :mod:`archive.spark.submit` — ``archive spark``: builds the ``spark-submit`` command;
* :mod:`archive.spark.load` — ``archive import-parquet``: loads the Parquet tables into
  the SQLite index that Datasette serves.
"""
