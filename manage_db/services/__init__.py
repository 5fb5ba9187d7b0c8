"""Services: what the tool does, knowing no SQL, file name or URL."""
