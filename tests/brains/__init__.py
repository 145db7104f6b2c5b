"""Brain scans, file uploads, the storage and downloads."""
