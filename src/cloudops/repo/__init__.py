"""The ops repository: finding it, reading its files with positions, its git facts."""
