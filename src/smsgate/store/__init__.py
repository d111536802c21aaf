"""The store: schema and migrations, one module per aggregate, and the group-commit writer."""
