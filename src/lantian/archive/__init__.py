"""The archive of measurements: monthly partitions in PostgreSQL, Parquet files, Dask assessment."""
