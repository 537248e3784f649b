"""The DuckDB warehouse: migrations, the set-based loader, SQL models and exports."""
