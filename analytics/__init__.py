"""Contact records and the figures a center is run by: the record in Amazon Connect's own format, the KPI SQL
that DuckDB runs locally and Athena runs in AWS, and the report built on them.

Nothing here is imported by a Lambda handler on the call path; the local runtime, the CLI, the benchmarks
and the CDK app (for the Glue schema and the Athena text) use it.
"""
