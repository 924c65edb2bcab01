"""The director's workbook: writing it, reading it back, export over an old book, sync of ticks."""
