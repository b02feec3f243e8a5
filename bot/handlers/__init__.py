"""One module per feature; each handler parses, asks `bot.access`, calls rules/storage, renders."""
