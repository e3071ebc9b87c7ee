"""What the web pages and the REST API share over HTTP: the signed-in user and database per request, bounded
ids and offsets, and the streaming upload receiver."""
