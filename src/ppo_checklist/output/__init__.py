"""How results look: one formatter per --format (table, json, csv, md) and the pieces they print."""
